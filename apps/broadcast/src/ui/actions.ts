/**
 * The data of the bot's card buttons. An `Action.Submit` carries `data`; Webex hands it back in the
 * attachment action's `inputs` (docs/protocol.md §7.5; the emulator's client does the same), together with any input
 * fields. The keys are namespaced so that a sender's own card, broadcast by the bot, cannot be
 * mistaken for one of ours; the broadcast id is checked against the store before anything happens,
 * and a compose card must be one the bot posted in a 1-1.
 */
export type CardActionName = 'send' | 'recall' | 'approve' | 'reject';

/** A button about one broadcast, or the compose card's Preview (the message typed into its field). */
export type CardAction =
  | { action: CardActionName; broadcast: string }
  | { action: 'compose'; message: string };

const NAMES = new Set<CardActionName>(['send', 'recall', 'approve', 'reject']);

/** The id of the compose card's text field. */
export const COMPOSE_FIELD = 'herald_message';

/** Longest message the compose card takes: what fits in one Webex message (7,439 bytes) with room for the header. */
export const COMPOSE_MAX_LENGTH = 7000;

/** What a button carries: the action and, but for compose, the broadcast it is about. */
export type CardButton = { action: CardActionName; broadcast: string } | { action: 'compose' };

export function actionData(action: CardButton): Record<string, string> {
  if (action.action === 'compose') return { herald_action: 'compose' };
  return { herald_action: action.action, herald_broadcast: action.broadcast };
}

export function parseCardAction(inputs: Record<string, unknown>): CardAction | undefined {
  const action = inputs.herald_action;
  if (action === 'compose') {
    const message = inputs[COMPOSE_FIELD];
    if (typeof message !== 'string') return undefined;
    return { action: 'compose', message: message.trim().slice(0, COMPOSE_MAX_LENGTH) };
  }
  const broadcast = inputs.herald_broadcast;
  if (typeof action !== 'string' || !NAMES.has(action as CardActionName)) return undefined;
  if (typeof broadcast !== 'string' || !/^[0-9a-f-]{36}$/.test(broadcast)) return undefined;
  return { action: action as CardActionName, broadcast };
}

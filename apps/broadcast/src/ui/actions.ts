/**
 * The data of the bot's card buttons. An `Action.Submit` carries `data`; Webex hands it back in the
 * attachment action's `inputs` (§2.6; the emulator's client does the same), together with any input
 * fields. The keys are namespaced so that a sender's own card, broadcast by the bot, cannot be
 * mistaken for one of ours; the broadcast id is checked against the store before anything happens.
 */
export type CardActionName = 'send' | 'recall' | 'approve' | 'reject';

export interface CardAction {
  action: CardActionName;
  broadcast: string;
}

const NAMES = new Set<CardActionName>(['send', 'recall', 'approve', 'reject']);

export function actionData(action: CardAction): Record<string, string> {
  return { herald_action: action.action, herald_broadcast: action.broadcast };
}

export function parseCardAction(inputs: Record<string, unknown>): CardAction | undefined {
  const action = inputs.herald_action;
  const broadcast = inputs.herald_broadcast;
  if (typeof action !== 'string' || !NAMES.has(action as CardActionName)) return undefined;
  if (typeof broadcast !== 'string' || !/^[0-9a-f-]{36}$/.test(broadcast)) return undefined;
  return { action: action as CardActionName, broadcast };
}

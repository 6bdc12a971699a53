/**
 * What people do after a broadcast is planned: press a card button (Send a preview, Recall,
 * Approve, Reject), write `recall`, or edit the source message. Each handler checks who may do it,
 * then changes the store in one conditional step (so a button pressed twice, or an event delivered
 * twice, acts once) and leaves the rest to the durable work loops.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  type AttachmentActionCreatedEvent,
  type Message,
  type MessageUpdatedEvent,
  type Person,
  sameId,
  type WebexClient,
} from '@herald/webex';
import { parseCommand } from './commands.js';
import { composeCopy, messageBody } from './compose.js';
import type { BroadcastConfig } from './config.js';
import { fill, type Templates } from './locales.js';
import type { BroadcastContent, BroadcastRequest } from './pipeline/content.js';
import type { ContentCache } from './pipeline/dispatcher.js';
import { errorText, readSource } from './pipeline/source.js';
import { type BotSelf, mayDecide, mayRecall } from './policy.js';
import type { BroadcastRow, Store } from './store/store.js';
import { parseCardAction } from './ui/actions.js';

export interface InteractionDeps {
  client: WebexClient;
  store: Store;
  config: BroadcastConfig;
  templates: Templates;
  bot: BotSelf;
  cache: ContentCache;
  now: () => number;
  /** Wake the work loops: there is new work. */
  wake: () => void;
  log: (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string) => void;
}

/** A short word to a person in their 1-1; a refusal is logged, not retried. */
async function tell(
  deps: InteractionDeps,
  personId: string,
  markdown: string,
  parentId?: string,
): Promise<void> {
  try {
    await deps.client.messages.create({ toPersonId: personId, markdown, ...(parentId ? { parentId } : {}) });
  } catch (err) {
    deps.log('warn', { person: personId, error: errorText(err) }, 'could not tell a person');
  }
}

async function displayName(
  deps: InteractionDeps,
  personId: string,
): Promise<{ name: string; emails: string[] }> {
  try {
    const p = await deps.client.people.get(personId);
    return { name: p.displayName ?? p.emails?.[0] ?? personId, emails: p.emails ?? [] };
  } catch (err) {
    deps.log('warn', { person: personId, error: errorText(err) }, 'person lookup failed');
    return { name: personId, emails: [] };
  }
}

/**
 * Start recalling `target` on behalf of `actor` (the sender or an admin). Idempotent: a second
 * request while one is under way, or after it finished, does nothing.
 */
export async function requestRecall(
  deps: InteractionDeps,
  actor: { id: string; emails: string[] },
  target: BroadcastRow | undefined,
): Promise<void> {
  const { templates: t } = deps;
  if (target?.kind !== 'broadcast' || !['sending', 'reporting', 'done'].includes(target.status)) {
    await tell(deps, actor.id, t.recall_nothing);
    return;
  }
  if (!mayRecall(deps.config, actor, target.sender_id)) {
    deps.log('info', { broadcast: target.id, person: actor.id }, 'recall refused');
    await tell(deps, actor.id, t.recall_refused);
    return;
  }
  if (!(await deps.store.tasks.requestRecall(target.id, actor.id, deps.now()))) return;
  deps.log('info', { broadcast: target.id, by: actor.id }, 'recall requested');
  deps.wake();
  if (!sameId(actor.id, target.sender_id)) {
    const content = target.content ? (JSON.parse(target.content) as BroadcastContent) : undefined;
    await tell(deps, actor.id, fill(t.recall_started, { displayName: content?.sender.displayName ?? '' }));
  }
}

/** `recall` written to the bot: the broadcast its thread parent belongs to, else the sender's last. */
export async function onRecallCommand(
  deps: InteractionDeps,
  req: BroadcastRequest,
  sender: Person,
): Promise<void> {
  const target = req.parentId
    ? await deps.store.broadcastByMessage(req.parentId)
    : await deps.store.lastBroadcastOf(sender.id);
  await requestRecall(deps, { id: sender.id, emails: sender.emails ?? [] }, target);
}

/**
 * The compose card's Preview: the typed message becomes a request as if the person had written
 * `preview <message>` to the bot, and goes through the same planning (sender policy included).
 * Only a compose card the bot itself posted in a 1-1 counts: the same data on a sender's own card,
 * broadcast into a group space, is ignored. The card and the typed text key the request, so a
 * double press (or an action delivered twice) makes one preview; changed text makes another.
 */
async function onCompose(deps: InteractionDeps, event: AttachmentActionCreatedEvent, message: string) {
  const a = event.data;
  let card: Message;
  try {
    card = await deps.client.messages.get(a.messageId);
  } catch (err) {
    deps.log('warn', { action: a.id, error: errorText(err) }, 'compose card lookup failed');
    return;
  }
  if (!sameId(card.personId, deps.bot.id) || card.roomType !== 'direct') return;
  if (message === '') {
    await tell(deps, a.personId, deps.templates.preview_usage);
    return;
  }
  const command = `preview ${message}`;
  const request: BroadcastRequest = {
    messageId: a.id,
    roomId: a.roomId,
    roomType: 'direct',
    personId: a.personId,
    personEmail: '',
    text: command,
    markdown: command,
    files: [],
    attachments: [],
    created: a.created,
    transport: event.transport,
  };
  const typed = createHash('sha256').update(message).digest('hex').slice(0, 16);
  const sourceMessageId = `compose:${a.messageId}:${typed}`;
  const created = await deps.store.createBroadcast(
    { id: randomUUID(), sourceMessageId, sourceRoomId: a.roomId, senderId: a.personId, request },
    deps.now(),
  );
  if (!created) return;
  deps.log('info', { action: a.id }, 'preview requested from the compose card');
  deps.wake();
}

/** A button on one of the bot's cards. */
export async function onCardAction(
  deps: InteractionDeps,
  event: AttachmentActionCreatedEvent,
): Promise<void> {
  const { store, templates: t } = deps;
  const a = event.data;
  const action = parseCardAction(a.inputs);
  if (!action) return;
  if (action.action === 'compose') {
    await onCompose(deps, event, action.message);
    return;
  }
  let row = await store.getBroadcast(action.broadcast);
  if (!row) return;
  // A card is posted first and its id recorded right after: a press in between must not be lost.
  for (let i = 0; i < 20 && row.control_message_id === null && action.action !== 'recall'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    row = (await store.getBroadcast(action.broadcast)) ?? row;
  }
  const now = deps.now();
  switch (action.action) {
    case 'recall': {
      // Whatever card the button was on (a sender could broadcast a look-alike), the right to recall decides.
      const emails = sameId(a.personId, row.sender_id) ? [] : (await displayName(deps, a.personId)).emails;
      await requestRecall(deps, { id: a.personId, emails }, row);
      return;
    }
    case 'send': {
      // The preview card's Send: only the sender, only that card, only once.
      if (!sameId(a.personId, row.sender_id) || !sameId(a.messageId, row.control_message_id ?? undefined))
        return;
      const content = row.content ? (JSON.parse(row.content) as BroadcastContent) : undefined;
      const to = content?.needsApproval ? 'awaiting_approval' : 'sending';
      if (!(await store.decide(row.id, 'previewed', to, null, now))) return;
      deps.log('info', { broadcast: row.id, to }, 'preview confirmed');
      deps.wake();
      // The preview's button is spent: remove the card (the report card follows).
      await deps.client.messages.delete(a.messageId).catch((err: unknown) => {
        deps.log('warn', { broadcast: row.id, error: errorText(err) }, 'could not remove the preview card');
      });
      return;
    }
    case 'approve':
    case 'reject': {
      if (
        !sameId(a.messageId, row.control_message_id ?? undefined) ||
        !mayDecide(deps.config, a, row.sender_id)
      )
        return;
      const to = action.action === 'approve' ? 'sending' : 'rejected';
      if (!(await store.decide(row.id, 'awaiting_approval', to, a.personId, now))) return;
      deps.log('info', { broadcast: row.id, decision: action.action, by: a.personId }, 'broadcast decided');
      deps.wake();
      const { name } = await displayName(deps, a.personId);
      await tell(
        deps,
        row.sender_id,
        fill(action.action === 'approve' ? t.approval_approved : t.approval_rejected, { name }),
      );
      try {
        await deps.client.messages.create({
          roomId: a.roomId,
          parentId: a.messageId,
          markdown: fill(t.approval_decided, {
            decision:
              action.action === 'approve' ? t.approval_decision_approved : t.approval_decision_rejected,
            name,
          }),
        });
      } catch (err) {
        deps.log('warn', { broadcast: row.id, error: errorText(err) }, 'could not note the decision');
      }
      return;
    }
  }
}

/**
 * The sender edited the source of a broadcast that went out: compose the copies again and let the
 * workers edit each copy (within Webex's limits, docs/protocol.md §7.4). Edits of a preview or of a broadcast
 * awaiting approval are ignored: what goes out is what was previewed or approved.
 */
export async function onMessageUpdated(deps: InteractionDeps, event: MessageUpdatedEvent): Promise<void> {
  const { store, bot } = deps;
  const m = event.data;
  const row = await store.broadcastBySource(m.id);
  if (row?.kind !== 'broadcast' || !row.content || !sameId(row.sender_id, m.personId)) return;
  if (!['sending', 'reporting', 'done'].includes(row.status) || row.recall_state !== null) return;
  // Either transport may lack the markdown of an edit: read the message as it is now.
  const asSent = { text: m.text, html: m.html, markdown: m.markdown };
  let body = messageBody(await readSource(deps, m.id, asSent, { broadcast: row.id }), bot);
  const command = parseCommand(body, deps.templates);
  if (command.kind === 'recall') return;
  if (command.kind === 'preview') body = command.body;
  const content = JSON.parse(row.content) as BroadcastContent;
  const next: BroadcastContent = {
    ...content,
    group: composeCopy(deps.templates, 'group', content.sender, body),
    direct: composeCopy(deps.templates, 'direct', content.sender, body),
  };
  if (next.group === content.group && next.direct === content.direct) return;
  const version = await store.tasks.recordEdit(row.id, next, deps.now());
  if (version === undefined) return;
  deps.cache.invalidate(row.id);
  deps.log('info', { broadcast: row.id, version }, 'source edited; editing the copies');
  deps.wake();
}

/**
 * Planning a broadcast, once: check the sender, resolve the destinations from one paginated
 * listing of the bot's rooms (no per-room lookups, D23), download the first file once (D24),
 * compose both kinds of copy, and store it all with one delivery row per destination.
 */
import {
  ContentNotReadyError,
  type Person,
  type Room,
  WebexApiError,
  type WebexClient,
  WebexNetworkError,
} from '@herald/webex';
import { cardFromJson, looksLikeJson } from '../card.js';
import { parseCommand } from '../commands.js';
import { composeCopy, messageBody } from '../compose.js';
import type { Templates } from '../locales.js';
import { type BotSelf, type Identity, isDestination, needsApproval, senderDecision } from '../policy.js';
import { workBackoffMs } from '../retry.js';
import type { BroadcastRow, PlannedDelivery, PlanStatus, StoredFile } from '../store/store.js';
import { renderCompose } from '../ui/cards.js';
import { yieldToLoop } from '../yield.js';
import type { BroadcastContent, BroadcastRequest } from './content.js';
import type { StageDeps } from './deps.js';
import { errorText, readSource } from './source.js';

export interface PlannerDeps extends StageDeps {
  templates: Templates;
  bot: BotSelf;
  /** `recall` from an allowed sender: find the broadcast, check the right, start the recall. */
  onRecallCommand: (request: BroadcastRequest, sender: Person) => Promise<void>;
}

export type PlanOutcome = 'planned' | 'refused' | 'retry' | 'empty' | 'command';

/**
 * Announcement-only spaces where the bot is not a moderator (it cannot post there, github.com/JardaMartan/broadcast_bot): one
 * membership lookup per announcement-only space, none for the others.
 */
async function notModerator(client: WebexClient, rooms: Room[], botId: string): Promise<Set<string>> {
  const out = new Set<string>();
  for (const room of rooms) {
    if (!room.isAnnouncementOnly) continue;
    const [me] = await client.memberships.list({ roomId: room.id, personId: botId }).toArray(1);
    if (!me?.isModerator) out.add(room.id);
  }
  return out;
}

export async function planBroadcast(
  deps: PlannerDeps,
  row: BroadcastRow,
  owner: string,
): Promise<PlanOutcome> {
  const { client, store, config, bot } = deps;
  const req = JSON.parse(row.request) as BroadcastRequest;

  // Fail closed: a sender that cannot be looked up does not broadcast.
  let sender: Person;
  try {
    sender = await client.people.get(req.personId);
  } catch (err) {
    if (err instanceof WebexApiError && err.isPermanent) {
      await store.finishBroadcast(row.id, 'refused', `sender lookup failed: ${errorText(err)}`, deps.now());
      return 'refused';
    }
    await store.releaseBroadcast(
      row.id,
      `sender lookup: ${errorText(err)}`,
      deps.now() + workBackoffMs(row.attempts),
      deps.now(),
    );
    return 'retry';
  }
  const senderIdentity: Identity = { id: sender.id, orgId: sender.orgId ?? '', emails: sender.emails ?? [] };
  // `recall` is not a broadcast: the right to recall (sender or admin) decides, not the sender policy.
  // The event's plain text is enough to recognise it (no message fetch).
  if (parseCommand(messageBody({ text: req.text }, bot), deps.templates).kind === 'recall') {
    await deps.onRecallCommand(req, sender);
    await store.finishBroadcast(row.id, 'done', 'recall', deps.now(), 'command');
    return 'command';
  }
  const decision = senderDecision(config, senderIdentity, bot);
  if (!decision.allowed) {
    await store.finishBroadcast(row.id, 'refused', decision.reason, deps.now());
    deps.log('info', { broadcast: row.id, reason: decision.reason }, 'sender refused by policy');
    try {
      await client.messages.create({ toPersonId: sender.id, markdown: deps.templates.sender_refused });
    } catch (err) {
      deps.log('warn', { broadcast: row.id, error: errorText(err) }, 'could not tell the sender');
    }
    return 'refused';
  }

  try {
    // A webhook's message was hydrated already; a Mercury event is read once for its markdown.
    const event = { text: req.text, html: req.html, markdown: req.markdown };
    const source =
      req.transport === 'mercury'
        ? await readSource(deps, req.messageId, event, { broadcast: row.id })
        : event;
    let body = messageBody(source, bot);
    const command = parseCommand(body, deps.templates);
    if (command.kind === 'recall') {
      await deps.onRecallCommand(req, sender);
      await store.finishBroadcast(row.id, 'done', 'recall', deps.now(), 'command');
      return 'command';
    }
    if (command.kind === 'preview') {
      if (command.body === '' && req.files.length === 0 && req.attachments.length === 0) {
        // How to use it, and a card to write the message in (its Preview button: interactions.ts).
        const usage = renderCompose(deps.templates);
        await client.messages.create({
          toPersonId: sender.id,
          markdown: usage.markdown,
          ...(usage.card ? { attachments: [usage.card] } : {}),
        });
        await store.finishBroadcast(row.id, 'done', 'preview usage', deps.now(), 'command');
        return 'command';
      }
      body = command.body;
    }
    const email = sender.emails?.[0] ?? req.personEmail;
    const who = { id: sender.id, displayName: sender.displayName ?? email, email };

    const listed: Room[] = [];
    for await (const room of client.rooms.list({ max: 1000 })) listed.push(room);
    // The sender's own 1-1 with the bot is excluded unless configured, with or without messages in it.
    const senderDirect = config.destination.include_sender_direct
      ? undefined
      : await senderDirectRoom(deps, req, sender, listed);
    // In chunks that let the loop run between them: 10,000 spaces in one pass held it 20 to 40 ms.
    const context = {
      bot,
      sender: senderIdentity,
      sourceRoomId: req.roomId,
      senderDirectRoomId: senderDirect,
    };
    const rooms: Room[] = [];
    for (const [i, room] of listed.entries()) {
      if (i > 0 && i % FILTER_CHUNK === 0) await yieldToLoop();
      const destination = { id: room.id, type: room.type, ownerId: room.ownerId, title: room.title };
      if (isDestination(config, destination, context)) rooms.push(room);
    }
    const cannotPost =
      command.kind === 'preview' ? await notModerator(client, rooms, bot.id) : new Set<string>();
    const destinations: PlannedDelivery[] = rooms.map((room) => ({
      roomId: room.id,
      roomType: room.type,
      title: room.title,
      note: cannotPost.has(room.id) ? 'not_moderator' : undefined,
    }));
    const approval = needsApproval(config, senderIdentity.emails);
    let status: PlanStatus = 'sending';
    if (command.kind === 'preview') status = 'previewed';
    else if (approval && destinations.length > 0) status = 'awaiting_approval';

    let file: StoredFile | undefined;
    let fileLeftOut: string | undefined;
    let card = req.attachments[0];
    const firstFile = req.files[0];
    if (firstFile && destinations.length > 0) {
      const got = await fetchFile(deps, row.id, firstFile);
      if ('reason' in got) fileLeftOut = got.reason;
      else {
        file = got;
        if (!card && looksLikeJson(file.name, file.contentType)) card = cardFromJson(file.bytes);
      }
    }

    const content: BroadcastContent = {
      group: composeCopy(deps.templates, 'group', who, body),
      direct: composeCopy(deps.templates, 'direct', who, body),
      card,
      file: file ? { name: file.name, contentType: file.contentType } : undefined,
      fileLeftOut,
      sender: who,
      needsApproval: approval,
    };
    const saved = await store.savePlan(row.id, owner, content, file, destinations, deps.now(), status);
    if (!saved) return 'retry';
    deps.log('info', { broadcast: row.id, destinations: destinations.length, status }, 'broadcast planned');
    return destinations.length === 0 ? 'empty' : 'planned';
  } catch (err) {
    deps.log('warn', { broadcast: row.id, error: errorText(err) }, 'planning failed; will retry');
    if (row.attempts >= 8) {
      await store.finishBroadcast(row.id, 'refused', `planning failed: ${errorText(err)}`, deps.now());
      return 'refused';
    }
    await store.releaseBroadcast(
      row.id,
      errorText(err),
      deps.now() + workBackoffMs(row.attempts),
      deps.now(),
    );
    return 'retry';
  }
}

/**
 * The sender's 1-1 with the bot: the room the request came from when it is one, else the one the
 * store remembers, else the listed 1-1 whose title is the sender's name (Webex titles a 1-1, for
 * each member, with the other member's name: docs/protocol.md §7.3), confirmed by its
 * membership list, and remembered. A 1-1 that holds no message yet is found that way too. Only
 * when no title matches is the sender's latest direct message asked for.
 */
async function senderDirectRoom(
  deps: PlannerDeps,
  req: BroadcastRequest,
  sender: Person,
  listed: Room[],
): Promise<string | undefined> {
  if (req.roomType === 'direct') return req.roomId;
  const { client, store } = deps;
  const known = await store.directRoomOf(sender.id);
  if (known) return known;
  const named = listed.filter((r) => r.type === 'direct' && r.title === sender.displayName);
  for (const room of named.slice(0, SENDER_DIRECT_CANDIDATES)) {
    const [member] = await client.memberships.list({ roomId: room.id, personId: sender.id }).toArray(1);
    if (member) {
      await store.rememberDirectRoom(sender.id, room.id);
      return room.id;
    }
  }
  if (named.length > 0) return undefined;
  const [last] = await client.messages.listDirect({ personId: sender.id }).toArray(1);
  if (last?.roomId) await store.rememberDirectRoom(sender.id, last.roomId);
  return last?.roomId;
}

/** 1-1s named like the sender whose membership is checked at most (namesakes are rare). */
const SENDER_DIRECT_CANDIDATES = 3;
/** Listed spaces weighed against the policies between two turns of the event loop. */
const FILTER_CHUNK = 1000;

/**
 * The first file, downloaded once. One that cannot be had in time (still being scanned past the
 * client's bound, or refused with a 4xx or 5xx that the client's own retries did not clear) does
 * not hold the text back: the copies go without it and the report says why.
 */
async function fetchFile(
  deps: PlannerDeps,
  broadcastId: string,
  url: string,
): Promise<StoredFile | { reason: string }> {
  try {
    const wait = deps.config.delivery.file_wait_seconds;
    const got = await deps.client.contents.download(url, {
      ...(wait === undefined ? {} : { maxScanWaitMs: wait * 1000 }),
    });
    return { name: got.filename, contentType: got.contentType, bytes: Buffer.from(got.data) };
  } catch (err) {
    if (!(err instanceof WebexApiError) && !(err instanceof WebexNetworkError)) throw err;
    const reason = err instanceof ContentNotReadyError ? 'still being scanned' : errorText(err);
    deps.log('warn', { broadcast: broadcastId, error: errorText(err) }, 'file left out of the copies');
    return { reason };
  }
}

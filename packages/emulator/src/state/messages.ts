/**
 * Message rules: posting (targets, content, size, file and card limits, announcement mode, threads,
 * the first 1-1 message), editing and deleting; and the body a message stores, with its mentions
 * rendered (markdown.ts).
 */
import { EmulatorHttpError } from './errors.js';
import { CARD_CONTENT_TYPE, MAX_EDITS, MAX_MESSAGE_BYTES } from './limits.js';
import { membership, mustPerson, mustRoomOf, personByEmail } from './lookups.js';
import { renderMarkdown } from './markdown.js';
import { directRoom } from './rooms.js';
import type { CardAttachment, Message, Room } from './types.js';
import { canSeeMessage, mustMessageFor } from './visibility.js';
import type { WorldState } from './world-state.js';

export interface NewFile {
  name: string;
  contentType: string;
  bytes: Buffer;
}

export interface PostMessageInput {
  /** Exactly one of roomId / toPersonId / toPersonEmail (uuids / e-mail). */
  roomId?: string;
  toPersonId?: string;
  toPersonEmail?: string;
  text?: string;
  markdown?: string;
  parentId?: string;
  /** At most one. */
  files?: NewFile[];
  /** At most one card. */
  attachments?: CardAttachment[];
}

export interface MessagePatch {
  text?: string;
  markdown?: string;
}

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

export function postMessage(w: WorldState, senderId: string, input: PostMessageInput): Message {
  const sender = mustPerson(w, senderId);
  const targets = [input.roomId, input.toPersonId, input.toPersonEmail].filter((t) => t !== undefined);
  // docs/protocol.md §7.4 decisions: exactly one target; some content; one file; one card; not both; byte limits.
  if (targets.length !== 1) {
    throw new EmulatorHttpError(400, 'Exactly one of roomId, toPersonId or toPersonEmail is required.');
  }
  const files = input.files ?? [];
  const cards = input.attachments ?? [];
  if (!input.text && !input.markdown && files.length === 0 && cards.length === 0) {
    throw new EmulatorHttpError(400, 'A message needs text, markdown, a file or an attachment.');
  }
  checkBodySize(input);
  if (files.length > 1) throw new EmulatorHttpError(400, 'Only one file may be attached to a message.');
  if (cards.length > 1)
    throw new EmulatorHttpError(400, 'Only one attachment (card) may be sent per message.');
  if (files.length > 0 && cards.length > 0) {
    throw new EmulatorHttpError(400, 'A message cannot carry files and attachments together.');
  }
  for (const card of cards) {
    if (
      card?.contentType !== CARD_CONTENT_TYPE ||
      typeof card.content !== 'object' ||
      card.content === null
    ) {
      throw new EmulatorHttpError(
        400,
        `Attachments must have contentType ${CARD_CONTENT_TYPE} and a content object.`,
      );
    }
  }

  const room = targetRoom(w, senderId, input);

  if (input.parentId !== undefined) {
    const parent = w.messages.get(input.parentId);
    if (!parent || parent.deleted || parent.roomId !== room.id || !canSeeMessage(w, senderId, parent)) {
      throw new EmulatorHttpError(400, 'Invalid parentId: no such message in this room.');
    }
    if (parent.parentId) throw new EmulatorHttpError(400, 'Cannot reply to a reply; use the thread parent.');
  }

  const id = w.uuid();
  const now = w.nowIso();
  const message: Message = {
    id,
    roomId: room.id,
    personId: sender.id,
    ...renderBody(w, input.text, input.markdown),
    files: files.map((_, i) => `${id}/${i}`),
    attachments: cards.map((c) => structuredClone(c)),
    parentId: input.parentId,
    created: now,
    editCount: 0,
    deleted: false,
  };
  files.forEach((f, i) => {
    w.files.set(`${id}/${i}`, {
      id: `${id}/${i}`,
      name: f.name,
      contentType: f.contentType,
      bytes: f.bytes,
      scanPollsLeft: 0,
      scanResult: 'clean',
    });
  });
  w.messages.set(id, message);
  room.lastActivity = now;
  w.emit({ kind: 'message.created', actorId: sender.id, message: structuredClone(message) });
  return message;
}

/** The room a new message goes to: a room the sender may post in, or the 1-1 room (created if new). */
function targetRoom(w: WorldState, senderId: string, input: PostMessageInput): Room {
  if (input.roomId !== undefined) {
    const { room, membership: own } = mustRoomOf(w, senderId, input.roomId);
    // §7.3: announcement mode — only moderators post; status unconfirmed, 403 chosen.
    if (room.isAnnouncementOnly && !own.isModerator) {
      throw new EmulatorHttpError(403, 'Only moderators can post in an announcement-only space.');
    }
    return room;
  }
  const other =
    input.toPersonId !== undefined
      ? w.people.get(input.toPersonId)
      : personByEmail(w, input.toPersonEmail ?? '');
  if (!other) throw new EmulatorHttpError(404, 'Could not find a person with the provided ID or email.');
  // §7.3: messaging oneself is unconfirmed; 400 chosen.
  if (other.id === senderId) throw new EmulatorHttpError(400, 'Cannot send a direct message to yourself.');
  return directRoom(w, senderId, other.id, true)!;
}

export function editMessage(w: WorldState, actorId: string, messageId: string, patch: MessagePatch): Message {
  const message = mustMessageFor(w, actorId, messageId);
  // §7.4 "Edit": own messages only, ≤10 edits, none with files or cards.
  if (message.personId !== actorId) throw new EmulatorHttpError(403, 'Only the sender can edit a message.');
  if (message.files.length > 0 || message.attachments.length > 0) {
    throw new EmulatorHttpError(400, 'Editing messages with files or attachments is unsupported.');
  }
  if (!patch.text && !patch.markdown) throw new EmulatorHttpError(400, 'An edit needs text or markdown.');
  checkBodySize(patch);
  if (message.editCount >= MAX_EDITS)
    throw new EmulatorHttpError(400, 'Edit limit reached for this message.');
  Object.assign(message, renderBody(w, patch.text, patch.markdown));
  message.editCount += 1;
  message.updated = w.nowIso();
  w.emit({ kind: 'message.updated', actorId, message: structuredClone(message) });
  return message;
}

export function deleteMessage(w: WorldState, actorId: string, messageId: string): void {
  const message = mustMessageFor(w, actorId, messageId);
  if (message.personId !== actorId) {
    // §7.4 "Delete": others' messages only by moderators of a moderated (locked) room.
    const room = w.rooms.get(message.roomId);
    const own = membership(w, actorId, message.roomId);
    if (!room?.isLocked || !own?.isModerator) {
      throw new EmulatorHttpError(403, 'Only the sender or a moderator can delete this message.');
    }
  }
  message.deleted = true;
  w.emit({ kind: 'message.deleted', actorId, message: structuredClone(message) });
}

function checkBodySize(input: { text?: string | undefined; markdown?: string | undefined }): void {
  for (const field of ['text', 'markdown'] as const) {
    const v = input[field];
    if (v !== undefined && byteLength(v) > MAX_MESSAGE_BYTES) {
      throw new EmulatorHttpError(400, `The ${field} is longer than ${MAX_MESSAGE_BYTES} bytes.`);
    }
  }
}

/** text/markdown -> the message's body fields; html only when there is markdown. */
function renderBody(
  w: WorldState,
  text: string | undefined,
  markdown: string | undefined,
): Pick<Message, 'text' | 'markdown' | 'html' | 'mentionedPeople' | 'mentionedGroups'> {
  if (!markdown)
    return {
      text: text ?? '',
      markdown: undefined,
      html: undefined,
      mentionedPeople: [],
      mentionedGroups: [],
    };
  const r = renderMarkdown(markdown, {
    byId: (id) => w.people.get(id),
    byEmail: (email) => personByEmail(w, email),
  });
  return {
    text: text || r.text,
    markdown,
    html: r.html,
    mentionedPeople: r.mentionedPeople,
    mentionedGroups: r.mentionedGroups,
  };
}

/**
 * Who may see what: a message (membership plus the bot rule, docs/protocol.md §7.8) and a change (the audience
 * webhooks and Mercury both deliver to).
 */
import { EmulatorHttpError } from './errors.js';
import { membership, membersOf } from './lookups.js';
import type { Change, Message, Person } from './types.js';
import type { WorldState } from './world-state.js';

/** Membership plus the bot rule: a bot sees a group message only when it is mentioned or is its sender. */
export function canSeeMessage(w: WorldState, personId: string, message: Message): boolean {
  if (!membership(w, personId, message.roomId)) return false;
  const person = w.people.get(personId);
  if (person?.type !== 'bot') return true;
  const room = w.rooms.get(message.roomId);
  // §7.8: bots see every 1-1 message, group messages only when @mentioned (or their own).
  // Decision (§7.8 leaves `<@all>` unconfirmed): a group mention does not make a message visible to a bot.
  if (room?.type === 'direct') return true;
  return message.personId === personId || message.mentionedPeople.includes(personId);
}

/** A live message `actorId` can see; 404 otherwise (§7.8 decision: invisible = not found). */
export function mustMessageFor(w: WorldState, actorId: string, messageId: string): Message {
  const m = w.messages.get(messageId);
  if (!m || m.deleted || !canSeeMessage(w, actorId, m))
    throw new EmulatorHttpError(404, 'Unable to get message.');
  return m;
}

/**
 * People who learn of a change (webhooks and Mercury both use this):
 * messages → members who can see the message (deleted: those who could see it);
 * memberships → every member of the room, plus the person whose membership it is;
 * rooms → every member; attachment actions → the card message's sender (and the submitter).
 */
export function audience(w: WorldState, change: Change): Person[] {
  const ids = new Set<string>();
  switch (change.kind) {
    case 'message.created':
    case 'message.updated':
    case 'message.deleted':
      for (const m of membersOf(w, change.message.roomId)) {
        if (canSeeMessage(w, m.personId, change.message)) ids.add(m.personId);
      }
      break;
    case 'membership.created':
    case 'membership.updated':
    case 'membership.deleted':
      for (const m of membersOf(w, change.membership.roomId)) ids.add(m.personId);
      ids.add(change.membership.personId);
      break;
    case 'room.created':
    case 'room.updated':
      for (const m of membersOf(w, change.room.id)) ids.add(m.personId);
      break;
    case 'attachmentAction.created': {
      const card = w.messages.get(change.action.messageId);
      if (card) ids.add(card.personId);
      ids.add(change.action.personId);
      break;
    }
  }
  const out: Person[] = [];
  for (const id of ids) {
    const p = w.people.get(id);
    if (p) out.push(p);
  }
  return out;
}

/**
 * Room and membership rules: creating, updating and deleting spaces, adding, updating and removing
 * members (moderation and announcement-only checks), and the 1-1 room of two people.
 */
import { EmulatorHttpError } from './errors.js';
import { KMS_HOST } from './limits.js';
import { membership, membershipKey, membersOf, mustPerson, mustRoomOf } from './lookups.js';
import type { Membership, Room } from './types.js';
import type { WorldState } from './world-state.js';

export interface NewRoom {
  title: string;
  isLocked?: boolean;
  isAnnouncementOnly?: boolean;
  description?: string;
}

export type RoomPatch = Partial<NewRoom>;

export function newKeyUrl(w: WorldState): string {
  return `kms://${KMS_HOST}/keys/${w.uuid()}`;
}

/** The 1-1 room of two people, created (with a `room.created` + two `membership.created`) when asked. */
export function directRoom(w: WorldState, aId: string, bId: string, create: boolean): Room | undefined {
  for (const m of w.memberships.ofPerson(aId)) {
    const room = w.rooms.get(m.roomId);
    if (room?.type === 'direct' && membership(w, bId, room.id)) return room;
  }
  if (!create) return undefined;
  const a = mustPerson(w, aId);
  const b = mustPerson(w, bId);
  const now = w.nowIso();
  const room: Room = {
    id: w.uuid(),
    // Stored as seen by the creator; REST shows each viewer the other party's name (docs/protocol.md §7.3).
    title: b.displayName,
    type: 'direct',
    isLocked: false,
    isAnnouncementOnly: false,
    // Decision (§7.3 leaves ownerId of direct rooms unconfirmed): the creator's org, as for groups.
    ownerId: a.orgId,
    creatorId: a.id,
    created: now,
    lastActivity: now,
    encryptionKeyUrl: newKeyUrl(w),
  };
  w.rooms.set(room.id, room);
  w.emit({ kind: 'room.created', actorId: a.id, room: { ...room } });
  for (const p of [a, b]) insertMembership(w, a.id, { personId: p.id, roomId: room.id, isModerator: false });
  return room;
}

export function createRoom(w: WorldState, actorId: string, input: NewRoom): Room {
  const actor = mustPerson(w, actorId);
  if (typeof input.title !== 'string' || input.title.trim() === '') {
    throw new EmulatorHttpError(400, 'title is required.');
  }
  // §7.3: announcement mode requires a locked room; the creator of a locked room is a moderator.
  if (input.isAnnouncementOnly && !input.isLocked) {
    throw new EmulatorHttpError(400, 'isAnnouncementOnly requires isLocked.');
  }
  const now = w.nowIso();
  const room: Room = {
    id: w.uuid(),
    title: input.title,
    type: 'group',
    isLocked: input.isLocked ?? false,
    isAnnouncementOnly: input.isAnnouncementOnly ?? false,
    ownerId: actor.orgId,
    creatorId: actor.id,
    created: now,
    lastActivity: now,
    description: input.description,
    encryptionKeyUrl: newKeyUrl(w),
  };
  w.rooms.set(room.id, room);
  w.emit({ kind: 'room.created', actorId, room: { ...room } });
  insertMembership(w, actorId, { personId: actorId, roomId: room.id, isModerator: room.isLocked });
  return room;
}

export function updateRoom(w: WorldState, actorId: string, roomId: string, patch: RoomPatch): Room {
  const { room, membership: own } = mustRoomOf(w, actorId, roomId);
  if (room.isLocked && !own.isModerator) {
    throw new EmulatorHttpError(403, 'Only moderators can update a moderated space.');
  }
  if (room.type === 'direct' && (patch.isLocked || patch.isAnnouncementOnly)) {
    throw new EmulatorHttpError(400, 'A direct space cannot be locked or made announcement-only.');
  }
  if (patch.title !== undefined && patch.title.trim() === '')
    throw new EmulatorHttpError(400, 'title must not be empty.');
  const isLocked = patch.isLocked ?? room.isLocked;
  const isAnnouncementOnly = patch.isAnnouncementOnly ?? (isLocked ? room.isAnnouncementOnly : false);
  // §7.3: isAnnouncementOnly only on a locked room.
  if (isAnnouncementOnly && !isLocked)
    throw new EmulatorHttpError(400, 'isAnnouncementOnly requires isLocked.');
  if (patch.title !== undefined) room.title = patch.title;
  // §7.3: "a single space clears" the description.
  if (patch.description !== undefined)
    room.description = patch.description === ' ' ? undefined : patch.description;
  const locking = isLocked && !room.isLocked;
  room.isLocked = isLocked;
  room.isAnnouncementOnly = isAnnouncementOnly;
  w.emit({ kind: 'room.updated', actorId, room: { ...room } });
  // Decision: whoever locks a space becomes its moderator (otherwise nobody could manage it).
  if (locking && !own.isModerator) {
    own.isModerator = true;
    w.emit({ kind: 'membership.updated', actorId, membership: { ...own } });
  }
  if (!isLocked) {
    for (const m of membersOf(w, room.id)) {
      if (!m.isModerator) continue;
      m.isModerator = false;
      w.emit({ kind: 'membership.updated', actorId, membership: { ...m } });
    }
  }
  return room;
}

/**
 * §7.3 DELETE: a moderator of a locked space or the creator of an unlocked one deletes it (every
 * membership ends, then the room goes); anyone else just leaves. Direct spaces: the caller leaves.
 * The `Change` union has no room deletion, so audiences learn it as `membership.deleted` changes.
 */
export function deleteRoom(w: WorldState, actorId: string, roomId: string): void {
  const { room, membership: own } = mustRoomOf(w, actorId, roomId);
  const mayDelete = room.type === 'group' && (room.isLocked ? own.isModerator : room.creatorId === actorId);
  if (!mayDelete) {
    deleteMembership(w, actorId, own);
    return;
  }
  for (const m of membersOf(w, roomId)) deleteMembership(w, actorId, m);
  w.rooms.delete(roomId);
}

export function addMember(
  w: WorldState,
  actorId: string,
  roomId: string,
  personId: string,
  isModerator: boolean,
): Membership {
  const { room, membership: own } = mustRoomOf(w, actorId, roomId);
  mustPerson(w, personId);
  // §7.3 (reported rules): no adding in 1-1 spaces; locked spaces need a moderator; moderators only in locked spaces.
  if (room.type === 'direct') throw new EmulatorHttpError(400, 'Cannot add members to a direct space.');
  if (room.isLocked && !own.isModerator) {
    throw new EmulatorHttpError(403, 'Only moderators can add members to a moderated space.');
  }
  if (isModerator && !room.isLocked) throw new EmulatorHttpError(400, 'Only a locked space has moderators.');
  // §7.3: adding the same person twice → 409.
  if (membership(w, personId, roomId)) throw new EmulatorHttpError(409, 'Person is already in the room.');
  return insertMembership(w, actorId, { personId, roomId, isModerator });
}

export function updateMember(
  w: WorldState,
  actorId: string,
  roomId: string,
  personId: string,
  isModerator: boolean,
  isRoomHidden: boolean | undefined,
): Membership {
  const { room, membership: own } = mustRoomOf(w, actorId, roomId);
  const target = mustMembership(w, personId, roomId);
  if (isModerator !== target.isModerator) {
    if (!room.isLocked) throw new EmulatorHttpError(400, 'Only a locked space has moderators.');
    if (!own.isModerator) throw new EmulatorHttpError(403, 'Only moderators can change moderators.');
  }
  if (isRoomHidden !== undefined && isRoomHidden !== target.isRoomHidden && personId !== actorId) {
    throw new EmulatorHttpError(403, 'Only the member can hide a space for themselves.');
  }
  target.isModerator = isModerator;
  if (isRoomHidden !== undefined) target.isRoomHidden = isRoomHidden;
  w.emit({ kind: 'membership.updated', actorId, membership: { ...target } });
  return target;
}

export function removeMember(w: WorldState, actorId: string, roomId: string, personId: string): void {
  const { room, membership: own } = mustRoomOf(w, actorId, roomId);
  const target = mustMembership(w, personId, roomId);
  // §7.3: deleting one's own membership leaves; others need a moderator in a locked space; 1-1: never.
  if (personId !== actorId) {
    if (room.type === 'direct')
      throw new EmulatorHttpError(400, 'Cannot remove members from a direct space.');
    if (room.isLocked && !own.isModerator) {
      throw new EmulatorHttpError(403, 'Only moderators can remove members from a moderated space.');
    }
  }
  deleteMembership(w, actorId, target);
}

function mustMembership(w: WorldState, personId: string, roomId: string): Membership {
  const found = membership(w, personId, roomId);
  if (!found) throw new EmulatorHttpError(404, 'Could not find a membership with provided ID.');
  return found;
}

function insertMembership(
  w: WorldState,
  actorId: string,
  { personId, roomId, isModerator }: Pick<Membership, 'personId' | 'roomId' | 'isModerator'>,
): Membership {
  const m: Membership = { personId, roomId, isModerator, isRoomHidden: false, created: w.nowIso() };
  w.memberships.set(membershipKey(personId, roomId), m);
  w.emit({ kind: 'membership.created', actorId, membership: { ...m } });
  return m;
}

function deleteMembership(w: WorldState, actorId: string, m: Membership): void {
  w.memberships.delete(membershipKey(m.personId, m.roomId));
  w.emit({ kind: 'membership.deleted', actorId, membership: { ...m } });
}

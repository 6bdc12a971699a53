/**
 * Reads over a world's entities: people by token, e-mail or seed key; rooms; memberships. The
 * `must*` forms raise the 404 REST answers when the entity is missing or hidden from the actor.
 */
import { EmulatorHttpError } from './errors.js';
import type { Membership, Person, Room } from './types.js';
import type { WorldState } from './world-state.js';

/** Key of `memberships`: `<personId>:<roomId>`. */
export const membershipKey = (personId: string, roomId: string): string => `${personId}:${roomId}`;

export function personByToken(w: WorldState, token: string): Person | undefined {
  for (const p of w.people.values()) if (p.tokens.includes(token)) return p;
  return undefined;
}

export function personByEmail(w: WorldState, email: string): Person | undefined {
  const wanted = email.toLowerCase();
  for (const p of w.people.values()) if (p.emails.some((e) => e.toLowerCase() === wanted)) return p;
  return undefined;
}

/** A person by seed key, uuid or e-mail. */
export function findPerson(w: WorldState, ref: string): Person | undefined {
  const id = w.keys.people.get(ref) ?? ref;
  return w.people.get(id) ?? (ref.includes('@') ? personByEmail(w, ref) : undefined);
}

/** A room by seed key or uuid. */
export function findRoom(w: WorldState, ref: string): Room | undefined {
  return w.rooms.get(w.keys.rooms.get(ref) ?? ref);
}

export function membersOf(w: WorldState, roomId: string): Membership[] {
  return [...w.memberships.ofRoom(roomId)];
}

export function membership(w: WorldState, personId: string, roomId: string): Membership | undefined {
  return w.memberships.get(membershipKey(personId, roomId));
}

/** Rooms `personId` is a member of, in creation order. */
export function roomsOf(w: WorldState, personId: string): Room[] {
  const out: Room[] = [];
  for (const m of w.memberships.ofPerson(personId)) {
    const room = w.rooms.get(m.roomId);
    if (room) out.push(room);
  }
  return out;
}

export function mustPerson(w: WorldState, id: string): Person {
  const p = w.people.get(id);
  if (!p) throw new EmulatorHttpError(404, 'Could not find a person with provided ID.');
  return p;
}

/** The room, if `actorId` is a member; 404 otherwise (a non-member cannot tell it exists). */
export function mustRoomOf(
  w: WorldState,
  actorId: string,
  roomId: string,
): { room: Room; membership: Membership } {
  const room = w.rooms.get(roomId);
  const found = room && membership(w, actorId, roomId);
  if (!room || !found) throw new EmulatorHttpError(404, 'Could not find a room with provided ID.');
  return { room, membership: found };
}

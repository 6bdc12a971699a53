/** The world's memberships, indexed by room and by person (world.ts `memberships`). */
import type { Membership } from './types.js';

type Group = Map<string, Membership>;

/**
 * Memberships keyed `<personId>:<roomId>`, with each room's and each person's kept beside them. A
 * room's members are read for every message (who gets its Mercury activity and its webhooks) and a
 * person's rooms for every room listing; scanning every membership instead made a world of 10,000
 * spaces slow (a page of 1,000 1-1s took half a second to answer).
 */
export class MembershipIndex extends Map<string, Membership> {
  private readonly byRoom = new Map<string, Group>();
  private readonly byPerson = new Map<string, Group>();

  /** Add or replace a membership, in both indexes. */
  override set(key: string, m: Membership): this {
    const old = super.get(key);
    if (old && (old.roomId !== m.roomId || old.personId !== m.personId)) this.unindex(key, old);
    super.set(key, m);
    // Replacing keeps the membership's place (a Map's order is the first insertion's).
    group(this.byRoom, m.roomId).set(key, m);
    group(this.byPerson, m.personId).set(key, m);
    return this;
  }

  /** Remove a membership from the map and both indexes. */
  override delete(key: string): boolean {
    const old = super.get(key);
    if (old) this.unindex(key, old);
    return super.delete(key);
  }

  /** Remove every membership. */
  override clear(): void {
    super.clear();
    this.byRoom.clear();
    this.byPerson.clear();
  }

  /** The room's memberships, oldest first. */
  ofRoom(roomId: string): IterableIterator<Membership> {
    return (this.byRoom.get(roomId) ?? EMPTY).values();
  }

  /** The person's memberships, oldest first. */
  ofPerson(personId: string): IterableIterator<Membership> {
    return (this.byPerson.get(personId) ?? EMPTY).values();
  }

  private unindex(key: string, m: Membership): void {
    ungroup(this.byRoom, m.roomId, key);
    ungroup(this.byPerson, m.personId, key);
  }
}

const EMPTY: Group = new Map();

function group(groups: Map<string, Group>, id: string): Group {
  let g = groups.get(id);
  if (!g) {
    g = new Map();
    groups.set(id, g);
  }
  return g;
}

function ungroup(groups: Map<string, Group>, id: string, key: string): void {
  const g = groups.get(id);
  if (!g) return;
  g.delete(key);
  if (g.size === 0) groups.delete(id);
}

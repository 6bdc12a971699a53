/**
 * Loading a `Seed` into a world: resolves keys (org, person, room keys or uuids), fills defaults
 * (generated ids and tokens), and checks references, naming the offending entry when one is wrong.
 * Loading emits no `Change`: a seed is the starting state, not a sequence of happenings.
 */
import { KMS_HOST } from './limits.js';
import type { MembershipIndex } from './memberships.js';
import type { RandomSource } from './random.js';
import type { Org, Person, Room, Seed } from './types.js';

export class SeedError extends Error {
  readonly code = 'EMULATOR_SEED';
}

export interface SeedTarget {
  orgs: Map<string, Org>;
  people: Map<string, Person>;
  rooms: Map<string, Room>;
  memberships: MembershipIndex;
  /** Seed key -> uuid, per kind. */
  keys: { orgs: Map<string, string>; people: Map<string, string>; rooms: Map<string, string> };
}

export function applySeed(target: SeedTarget, seed: Seed, random: RandomSource, nowIso: string): void {
  const resolve = (kind: 'orgs' | 'people', ref: string, where: string): string => {
    const uuid = target.keys[kind].get(ref) ?? (target[kind].has(ref) ? ref : undefined);
    if (!uuid) throw new SeedError(`${where}: unknown ${kind === 'orgs' ? 'org' : 'person'} "${ref}"`);
    return uuid;
  };

  seed.orgs.forEach((o, i) => {
    const id = o.id ?? random.uuid();
    target.orgs.set(id, { id, displayName: o.displayName, created: nowIso });
    if (o.key) target.keys.orgs.set(o.key, id);
    else target.keys.orgs.set(`org${i}`, id);
  });

  const emails = new Set<string>();
  seed.people.forEach((p, i) => {
    const where = `people[${i}] (${p.key ?? p.email})`;
    const email = p.email.toLowerCase();
    if (emails.has(email)) throw new SeedError(`${where}: duplicate email`);
    emails.add(email);
    const id = p.id ?? random.uuid();
    const type = p.type ?? (email.endsWith('@webex.bot') ? 'bot' : 'person');
    const [first, ...rest] = p.displayName.split(' ');
    const orgId = resolve('orgs', p.org, where);
    target.people.set(id, {
      id,
      orgId,
      emails: [p.email],
      displayName: p.displayName,
      firstName: p.firstName ?? first,
      lastName: p.lastName ?? (rest.length > 0 ? rest.join(' ') : undefined),
      type,
      tokens: [p.token ?? random.token(orgId)],
      created: nowIso,
    });
    if (p.key) target.keys.people.set(p.key, id);
  });

  seed.rooms.forEach((r, i) => {
    const where = `rooms[${i}] (${r.key ?? r.title})`;
    const id = r.id ?? random.uuid();
    const creatorId = resolve('people', r.creator, where);
    const creator = target.people.get(creatorId)!;
    const type = r.type ?? 'group';
    const isLocked = r.isLocked ?? r.isAnnouncementOnly ?? false;
    if (r.isAnnouncementOnly && !isLocked)
      throw new SeedError(`${where}: announcement-only requires isLocked`);
    target.rooms.set(id, {
      id,
      title: r.title,
      type,
      isLocked,
      isAnnouncementOnly: r.isAnnouncementOnly ?? false,
      ownerId: creator.orgId,
      creatorId,
      created: nowIso,
      lastActivity: nowIso,
      encryptionKeyUrl: `kms://${KMS_HOST}/keys/${random.uuid()}`,
    });
    if (r.key) target.keys.rooms.set(r.key, id);
    const members = new Map<string, boolean>([[creatorId, isLocked]]);
    for (const m of r.members ?? []) {
      const ref = typeof m === 'string' ? m : m.person;
      const personId = resolve('people', ref, where);
      const isModerator = typeof m === 'string' ? false : (m.isModerator ?? false);
      members.set(personId, (members.get(personId) ?? false) || isModerator);
    }
    if (type === 'direct' && members.size !== 2) {
      throw new SeedError(`${where}: a direct room has exactly two members (the creator and one other)`);
    }
    for (const [personId, isModerator] of members) {
      target.memberships.set(`${personId}:${id}`, {
        personId,
        roomId: id,
        isModerator: isLocked && isModerator,
        isRoomHidden: false,
        created: nowIso,
      });
    }
  });
}

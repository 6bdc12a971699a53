/**
 * Seeds built in code, for tests, benchmarks and the chaos run: the entries most seeds share (the
 * bot, people at `<key>@<org>.example`, 1-1 spaces with the bot, announcement spaces), a two-org
 * cast, a seed with many spaces, and the seeded number generator runs use to repeat themselves.
 */
import { createRandom } from './random.js';
import type { Seed } from './types.js';

type SeedOrg = Seed['orgs'][number];
type SeedPerson = Seed['people'][number];
type SeedRoom = Seed['rooms'][number];

/** An org with a seed key. */
export function seedOrg(key: string, displayName: string): SeedOrg {
  return { key, displayName };
}

/** The bot of every seed: key `bot`, Herald <herald@webex.bot>, in org `acme`. */
export function seedBot(token: string): SeedPerson {
  return { key: 'bot', org: 'acme', email: 'herald@webex.bot', displayName: 'Herald', type: 'bot', token };
}

/** A person keyed `key`, at `<key>@<org>.example`; first and last name come from `displayName`. */
export function seedPerson(key: string, org: string, displayName: string, token: string): SeedPerson {
  return { key, org, email: `${key}@${org}.example`, displayName, token };
}

/** The 1-1 space of `person` (a key) with the bot, keyed `<person>-bot`. */
export function seedBotDirect(person: string, title: string): SeedRoom {
  return { key: `${person}-bot`, title, type: 'direct', creator: person, members: ['bot'] };
}

/** A locked, announcement-only group space: only moderators (the creator) may post. */
export function seedAnnouncementSpace(
  key: string,
  title: string,
  creator: string,
  members: string[],
): SeedRoom {
  return { key, title, creator, isLocked: true, isAnnouncementOnly: true, members };
}

/** Tokens of the two-org cast, by person key. */
export type TwoOrgTokens = Record<'bot' | 'alice' | 'bob' | 'carol', string>;

/**
 * Orgs `acme` and `globex` and their people: the bot, Alice Archer and Bob Baker at Acme, Carol
 * Cruz at Globex (in that order, which fixes the ids a `randomSeed` gives them).
 */
export function twoOrgCast(tokens: TwoOrgTokens): Pick<Seed, 'orgs' | 'people'> {
  return {
    orgs: [seedOrg('acme', 'Acme'), seedOrg('globex', 'Globex')],
    people: [
      seedBot(tokens.bot),
      seedPerson('alice', 'acme', 'Alice Archer', tokens.alice),
      seedPerson('bob', 'acme', 'Bob Baker', tokens.bob),
      seedPerson('carol', 'globex', 'Carol Cruz', tokens.carol),
    ],
  };
}

export interface ManySpacesOptions {
  spaces: number;
  botToken: string;
  personToken: string;
  /** Key prefix of the group spaces. Default `s`. */
  prefix?: string;
}

/**
 * One org, the bot, Alice with a 1-1 with the bot (`alice-bot`), and `spaces` group spaces with the
 * bot in them (`<prefix>0` …): a world at scale.
 */
export function manySpacesSeed(options: ManySpacesOptions): Seed {
  const prefix = options.prefix ?? 's';
  return {
    orgs: [seedOrg('acme', 'Acme')],
    people: [seedBot(options.botToken), seedPerson('alice', 'acme', 'Alice', options.personToken)],
    rooms: [
      seedBotDirect('alice', 'Alice'),
      ...Array.from({ length: options.spaces }, (_, i) => ({
        key: `${prefix}${i}`,
        title: `Space ${i}`,
        creator: 'alice',
        members: ['bot'],
      })),
    ],
  };
}

/**
 * Floats in [0, 1) from a seed, the emulator's own generator (the one behind `randomSeed`): for
 * schedules that must repeat from run to run, such as traffic and faults. Not cryptographic.
 */
export function seededRandom(seed: number): () => number {
  return createRandom(seed).next;
}

/**
 * The traffic world shared by the chaos run and the soak bench: one org, three people who
 * broadcast, a handful of group spaces and 1-1 spaces with the bot, and the arithmetic of what the
 * bot should have sent (every destination exactly one copy of every broadcast) against what the
 * emulator saw it send.
 */
import { type Message, type Seed, seedBot, seedBotDirect, seedOrg, seedPerson } from '@herald/emulator';

export const BOT_TOKEN = 'CHAOS_BOT_TOKEN';
export const WEBHOOK_SECRET = 'chaos-webhook-secret-0123456789abcdef';
export const SENDERS = ['alice', 'bob', 'carol'] as const;
export type Sender = (typeof SENDERS)[number];

/** Group spaces per run; with the other senders' 1-1 spaces each broadcast has `GROUPS + 2` destinations. */
export const GROUPS = 5;

export function chaosSeed(): Seed {
  return {
    orgs: [seedOrg('acme', 'Acme')],
    people: [
      seedBot(BOT_TOKEN),
      ...SENDERS.map((s) =>
        seedPerson(s, 'acme', s[0]!.toUpperCase() + s.slice(1), `CHAOS_${s.toUpperCase()}`),
      ),
    ],
    rooms: [
      ...Array.from({ length: GROUPS }, (_, i) => ({
        key: `group-${i}`,
        title: `Chaos Group ${i}`,
        creator: SENDERS[i % SENDERS.length] as string,
        members: ['bot', ...SENDERS.filter((_, j) => j !== i % SENDERS.length)],
      })),
      ...SENDERS.map((s) => seedBotDirect(s, s)),
    ],
  };
}

/** A broadcast request a person posted: a unique marker the copies carry. */
export interface Request {
  marker: string;
  sender: Sender;
}

export interface Tally {
  /** Destination × broadcast pairs that should hold one copy. */
  expected: number;
  /** Pairs holding at least one copy. */
  delivered: number;
  /** Pairs holding none. */
  lost: number;
  /** Copies beyond the first, summed over pairs. */
  duplicated: number;
  /** Copies in a space that is not a destination (e.g. the sender's own 1-1). */
  misdirected: number;
  /** The first few lost pairs, for the failure message. */
  lostExamples: string[];
}

/**
 * Count copies per (broadcast, space). Destinations of a broadcast from `s`: every group space and
 * every 1-1 space except `s`'s own (default policy: the sender org's spaces, not the sender's 1-1).
 */
export function tally(
  requests: Request[],
  botMessages: Message[],
  roomKeyOf: (roomId: string) => string | undefined,
): Tally {
  const t: Tally = { expected: 0, delivered: 0, lost: 0, duplicated: 0, misdirected: 0, lostExamples: [] };
  const copies = new Map<string, number>();
  for (const m of botMessages) {
    const marker = /chaos-[a-z]+-\d+/.exec(m.markdown ?? m.text ?? '')?.[0];
    if (!marker) continue;
    const key = `${marker}|${roomKeyOf(m.roomId) ?? m.roomId}`;
    copies.set(key, (copies.get(key) ?? 0) + 1);
  }
  const destinations = (s: Sender) => [
    ...Array.from({ length: GROUPS }, (_, i) => `group-${i}`),
    ...SENDERS.filter((o) => o !== s).map((o) => `${o}-bot`),
  ];
  for (const r of requests) {
    const wanted = new Set(destinations(r.sender));
    for (const room of wanted) {
      t.expected++;
      const n = copies.get(`${r.marker}|${room}`) ?? 0;
      if (n === 0) {
        t.lost++;
        if (t.lostExamples.length < 5) t.lostExamples.push(`${r.marker} → ${room}`);
      } else {
        t.delivered++;
        t.duplicated += n - 1;
      }
    }
    for (const [key, n] of copies) {
      const [marker, room] = key.split('|') as [string, string];
      if (marker === r.marker && !wanted.has(room)) t.misdirected += n;
    }
  }
  return t;
}

/** The traffic and fault schedules repeat from run to run: the emulator's seeded generator. */
export { seededRandom } from '@herald/emulator';

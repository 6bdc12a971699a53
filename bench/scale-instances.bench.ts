/**
 * Several instances of one bot on one PostgreSQL (`npm run bench -- scale-instances`): the total
 * send rate of one and of three instances against `delivery.rate_per_second`, the 429s each met
 * (Webex limits the token, not the process), and three instances of which one is killed with
 * `kill -9` after a third of the copies: the rate before and after, and what was lost or repeated.
 *
 * Each instance is a `herald start` process of its own; the emulator limits `POST /messages` for
 * the bot's token to R per second (a bucket of R), and every instance is configured with R.
 *
 * Knobs (environment): INSTANCES_SPACES (600), INSTANCES_RATE (50). Needs DATABASE_URL.
 */
import { manySpacesSeed, startEmulator } from '@herald/emulator';
import { startBotInstances } from '../harness/bot-instances.js';
import type { BenchTable } from '../harness/table.js';
import { until } from '../harness/wait.js';

const SPACES = Number(process.env.INSTANCES_SPACES ?? 600);
const R = Number(process.env.INSTANCES_RATE ?? 50);
const WORKERS = 4;

interface Run {
  instances: number;
  killed: boolean;
  spaces: number;
  seconds: number;
  perSecond: number;
  /** Copies per second before the kill and after it (with a kill). */
  before?: number;
  after?: number;
  rateLimited: number;
  extra: number;
  missing: number;
}

async function run(url: string, instances: number, kill: boolean): Promise<Run> {
  const token = `INST_BOT_${instances}${kill ? 'K' : ''}`;
  const emu = await startEmulator({
    port: 0,
    seed: manySpacesSeed({ spaces: SPACES, botToken: token, personToken: `${token}_ALICE`, prefix: 's' }),
  });
  const world = emu.world;
  const bot = world.findPerson('bot');
  const alice = world.findPerson('alice');
  const home = world.findRoom('alice-bot');
  if (!bot || !alice || !home) throw new Error('the emulator seed lacks the bot, alice or her 1-1');
  const copies = () => {
    const counts = new Map<string, number>();
    for (const m of world.messages.values())
      if (m.personId === bot.id && m.roomId !== home.id)
        counts.set(m.roomId, (counts.get(m.roomId) ?? 0) + 1);
    return counts;
  };
  const waitUntil = (what: string, ok: () => boolean, ms = 180_000) => until(what, ok, ms, 5);
  const bots = await startBotInstances(emu, {
    token,
    databaseUrl: url,
    schema: `b_inst_${instances}_${process.pid}_${Date.now().toString(36)}`,
    count: instances,
    name: 'inst',
    delivery: { rate_per_second: R, workers: WORKERS, lease_seconds: 5, max_attempts: 5 },
  });
  try {
    await waitUntil('the instances to connect', () => emu.control.mercury.socketCount(bot.id) >= instances);
    emu.control.setRateLimits({ postPerToken: { capacity: R, perSecond: R } });
    emu.control.clearRequests();
    world.postMessage(alice.id, { roomId: home.id, text: 'many instances, one budget' });
    await waitUntil('the first copy', () => copies().size >= 1);
    const t0 = performance.now();
    let tKill: number | undefined;
    let atKill = 0;
    if (kill) {
      await waitUntil('a third of the copies', () => copies().size >= SPACES / 3);
      bots.children[0]?.kill('SIGKILL');
      tKill = performance.now();
      atKill = copies().size;
    }
    await waitUntil('every space', () => copies().size >= SPACES);
    const t1 = performance.now();
    await waitUntil('the report', () =>
      [...world.messages.values()].some(
        (m) => m.personId === bot.id && m.roomId === home.id && /Delivered to/.test(m.markdown ?? ''),
      ),
    );
    const counts = copies();
    const posts = emu.control.requests({ method: 'POST', personId: bot.id });
    const seconds = (t1 - t0) / 1000;
    return {
      instances,
      killed: kill,
      spaces: SPACES,
      seconds,
      perSecond: (SPACES - 1) / seconds,
      ...(tKill === undefined
        ? {}
        : {
            before: (atKill - 1) / ((tKill - t0) / 1000),
            after: (SPACES - atKill) / ((t1 - tKill) / 1000),
          }),
      rateLimited: posts.filter((r) => r.status === 429).length,
      extra: [...counts.values()].reduce((a, n) => a + (n - 1), 0),
      missing: SPACES - counts.size,
    };
  } finally {
    await bots.stop();
    await emu.stop();
  }
}

export default async function (): Promise<BenchTable[]> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.log('scale-instances: DATABASE_URL is not set, skipped');
    return [];
  }
  const runs = [await run(url, 1, false), await run(url, 3, false), await run(url, 3, true)];
  const [one, three, killed] = runs as [Run, Run, Run];
  const f = (n: number | undefined) => (n === undefined ? '-' : n.toFixed(1));
  return [
    {
      title: `Instances on one PostgreSQL: ${SPACES} spaces, delivery.rate_per_second = ${R} in each, ${WORKERS} workers each, Webex limit ${R}/s`,
      columns: [
        'instances',
        'kill -9',
        'send s',
        'copies/s',
        'vs rate',
        'before kill /s',
        'after kill /s',
        '429s',
        'extra copies',
        'missing',
      ],
      rows: runs.map((r) => [
        r.instances,
        r.killed ? 'one, at 1/3' : 'no',
        r.seconds.toFixed(2),
        f(r.perSecond),
        `${(r.perSecond / R).toFixed(2)}×`,
        f(r.before),
        f(r.after),
        r.rateLimited,
        r.extra,
        r.missing,
      ]),
      notes: [
        'Send s: first copy → last. The shared bucket starts full (half a second of sends), so a short run is a little above R.',
        'A killed instance leaves its claimed batch leased until lease_seconds (5 here) runs out; then the others send it.',
      ],
      targets: [
        {
          what: `three instances within ${R}/s (+10% for the first half second's burst)`,
          met: three.perSecond <= R * 1.1,
        },
        { what: 'three instances meet no more 429s than one', met: three.rateLimited <= one.rateLimited },
        { what: 'after a kill -9: nothing missing', met: killed.missing === 0 },
        {
          what: 'after a kill -9: the others keep the rate (≥ 0.8 R over the rest, lease wait included)',
          met: (killed.after ?? 0) >= 0.8 * R,
        },
      ],
    },
  ];
}

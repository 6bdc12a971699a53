/**
 * Soak: an accelerated hour. The broadcast bot runs in a child process (its RSS is its own) on a
 * clock SOAK_SPEED times faster than real time (default 20: leases, retry times, progress cards,
 * retention sweeps, Mercury's heartbeat and backoff), against the emulator in this process, for
 * SOAK_MS of real time (default 180 s = one hour of bot time). Traffic is steady: every 125 ms a
 * person posts, every other post a broadcast request (7 destinations each), the rest chatter in
 * group spaces. Resident memory, retained heap and open handles (`process.getActiveResourcesInfo()`)
 * of both processes are sampled every 3 s. The table gives start and end figures, the slope after a
 * warm-up, and what arrived: every destination of every broadcast holds one copy.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '@herald/emulator';
import type { BenchTable } from '../harness/table.js';
import { BOT_TOKEN, chaosSeed, GROUPS, type Request, SENDERS, tally } from '../harness/world.js';

const SPEED = Number(process.env.SOAK_SPEED ?? 20);
const RUN_MS = Number(process.env.SOAK_MS ?? 3_600_000 / SPEED);
const SAMPLE_MS = 3000;
const POST_EVERY_MS = 125;
/** Bounds: retained heap after the warm-up grows under 2 MB per real minute; at most 5 more handles. */
const HEAP_SLOPE_BOUND_MB_MIN = 2;
const HANDLE_BOUND = 5;

interface BotSample {
  rss: number;
  heap: number;
  handles: number;
  handleTypes: string[];
  done: number;
  botMs: number;
  sent: number;
}

interface Sample extends BotSample {
  t: number;
  emuRss: number;
  emuHandles: string[];
}

function ask(child: ChildProcess): Promise<BotSample> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as BotSample));
    child.send('sample');
  });
}

/** Least-squares slope of y over t (per minute). */
function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mt = points.reduce((a, [t]) => a + t, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  const num = points.reduce((a, [t, y]) => a + (t - mt) * (y - my), 0);
  const den = points.reduce((a, [t]) => a + (t - mt) ** 2, 0);
  return (num / den) * 60_000;
}

/** Handle types that are more numerous in `end` than in `start`, e.g. `TCPSocketWrap +2`. */
function handleGrowth(start: string[], end: string[]): string {
  const count = (list: string[]) =>
    list.reduce((m, t) => m.set(t, (m.get(t) ?? 0) + 1), new Map<string, number>());
  const a = count(start);
  const grown = [...count(end)]
    .filter(([t, n]) => n > (a.get(t) ?? 0))
    .map(([t, n]) => `${t} +${n - (a.get(t) ?? 0)}`);
  return grown.length > 0 ? grown.join(', ') : 'none';
}

export default async function soak(): Promise<BenchTable[]> {
  const emu = await startEmulator({ port: 0, seed: chaosSeed(), randomSeed: 7 });
  const world = emu.world;
  const id = (key: string, kind: 'person' | 'room') =>
    (kind === 'person' ? world.findPerson(key) : world.findRoom(key))?.id ?? '';
  let connects = 0;
  emu.control.mercury.onAuthorized(() => connects++);
  const child = fork(fileURLToPath(new URL('./soak-bot.ts', import.meta.url)), [], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...process.env, SOAK_EMULATOR_URL: emu.url, SOAK_TOKEN: BOT_TOKEN, SOAK_SPEED: String(SPEED) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`soak bot exited with ${code}`)));
  });
  const samples: Sample[] = [];
  const requests: Request[] = [];
  const start = Date.now();
  let posted = 0;
  const sample = async () => {
    const b = await ask(child);
    samples.push({
      ...b,
      t: Date.now() - start,
      emuRss: process.memoryUsage().rss,
      emuHandles: process.getActiveResourcesInfo(),
    });
  };
  await sample();
  let nextSample = start + SAMPLE_MS;
  while (Date.now() - start < RUN_MS) {
    const sender = SENDERS[posted % SENDERS.length] ?? 'alice';
    if (posted % 2 === 0) {
      const marker = `chaos-soak-${posted}`;
      world.postMessage(id(sender, 'person'), {
        roomId: id(`${sender}-bot`, 'room'),
        text: `${marker} news`,
      });
      requests.push({ marker, sender });
    } else {
      world.postMessage(id(sender, 'person'), {
        roomId: id(`group-${posted % GROUPS}`, 'room'),
        text: `chatter ${posted}`,
      });
    }
    posted++;
    if (Date.now() >= nextSample) {
      await sample();
      nextSample += SAMPLE_MS;
    }
    await new Promise((r) => setTimeout(r, POST_EVERY_MS));
  }
  // Let the queue drain (bounded), then the last sample.
  const drainUntil = Date.now() + 30_000;
  while ((await ask(child)).done < requests.length && Date.now() < drainUntil)
    await new Promise((r) => setTimeout(r, 250));
  await sample();
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
  const botUuid = world.findPerson('bot')?.id;
  const roomKeys = new Map([...world.keys.rooms].map(([key, roomId]) => [roomId, key]));
  const copies = [...world.messages.values()].filter((m) => m.personId === botUuid && !m.deleted);
  const outcome = tally(requests, copies, (roomId) => roomKeys.get(roomId));
  await emu.stop();

  const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const warm = samples.filter((s) => s.t >= RUN_MS / 3);
  const round = (n: number) => Math.round(n * 10) / 10;
  const heapSlope = slope(warm.map((s) => [s.t, s.heap / 1048576]));
  const rssSlope = slope(warm.map((s) => [s.t, s.rss / 1048576]));
  const emuSlope = slope(warm.map((s) => [s.t, s.emuRss / 1048576]));
  const botMinutes = Math.round(last.botMs / 60_000);
  return [
    {
      title: `Soak: ${Math.round(last.t / 1000)} s real = ${botMinutes} min of bot time (clock ×${SPEED}), ${requests.length} broadcasts, ${posted} messages`,
      columns: ['figure', 'start', 'end', 'slope after warm-up (per real min)'],
      rows: [
        ['bot RSS (MB)', mb(first.rss), mb(last.rss), round(rssSlope)],
        ['bot heap retained after gc (MB)', mb(first.heap), mb(last.heap), round(heapSlope)],
        ['bot open handles', first.handles, last.handles, '-'],
        ['emulator+driver RSS (MB)', mb(first.emuRss), mb(last.emuRss), round(emuSlope)],
        ['emulator+driver open handles', first.emuHandles.length, last.emuHandles.length, '-'],
        ['broadcasts done / requested', '-', `${last.done} / ${requests.length}`, '-'],
        ['copies sent / expected', '-', `${last.sent} / ${outcome.expected}`, '-'],
        ['lost / duplicated', '-', `${outcome.lost} / ${outcome.duplicated}`, '-'],
        ['Mercury connections after the first', '-', Math.max(0, connects - 1), '-'],
      ],
      notes: [
        `Samples every ${SAMPLE_MS / 1000} s; slope = least squares over the samples after the first third. The emulator keeps every message, so its growth is expected.`,
        `Handle types that grew: bot ${handleGrowth(first.handleTypes, last.handleTypes)}; emulator+driver ${handleGrowth(first.emuHandles, last.emuHandles)}. The emulator's extra sockets are the bot's keep-alive connections, opened by its concurrent senders during the first broadcasts; their number does not depend on the length of the run.`,
        'SOAK_SPEED and SOAK_MS set the clock factor and the real duration (e.g. SOAK_SPEED=1 SOAK_MS=600000 for ten real minutes).',
      ],
      targets: [
        {
          what: `bot heap slope after warm-up < ${HEAP_SLOPE_BOUND_MB_MIN} MB/min`,
          met: heapSlope < HEAP_SLOPE_BOUND_MB_MIN,
        },
        {
          what: `bot open handles end ≤ start + ${HANDLE_BOUND}`,
          met: last.handles <= first.handles + HANDLE_BOUND,
        },
        {
          what: 'every broadcast done, lost = 0, duplicated = 0',
          met: last.done === requests.length && outcome.lost === 0 && outcome.duplicated === 0,
        },
      ],
    },
  ];
}

/**
 * Soak: the broadcast bot in a child process (its RSS is its own) against the emulator in this
 * process, under steady, accelerated traffic — a broadcast request every 250 ms (7 copies each) and
 * chatter, about 45 s — sampling resident memory, heap and open handles
 * (`process.getActiveResourcesInfo()`) of both every 3 s. Reports start, end and the slope after a
 * warm-up; assert-free, it says whether growth stayed under the stated bound.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '@herald/emulator';
import { BOT_TOKEN, chaosSeed, GROUPS, SENDERS } from '../chaos/world.js';
import type { BenchTable } from './table.js';

const RUN_MS = Number(process.env.SOAK_MS ?? 45_000);
const SAMPLE_MS = 3000;
/** Bound: heap growth after warm-up under 2 MB/min, and no more than 5 extra open handles. */
const HEAP_SLOPE_BOUND_MB_MIN = 2;
const HANDLE_BOUND = 5;

interface Sample {
  t: number;
  botRss: number;
  botHeap: number;
  botHandles: number;
  emuRss: number;
  emuHandles: number;
  done: number;
}

function ask(child: ChildProcess): Promise<{ rss: number; heap: number; handles: number; done: number }> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as { rss: number; heap: number; handles: number; done: number }));
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

export default async function soak(): Promise<BenchTable[]> {
  const emu = await startEmulator({ port: 0, seed: chaosSeed(), randomSeed: 7 });
  const world = emu.world;
  const id = (key: string, kind: 'person' | 'room') =>
    (kind === 'person' ? world.findPerson(key) : world.findRoom(key))?.id ?? '';
  const child = fork(fileURLToPath(new URL('./soak-bot.ts', import.meta.url)), [], {
    execArgv: ['--expose-gc', '--import', 'tsx'],
    env: { ...process.env, SOAK_EMULATOR_URL: emu.url, SOAK_TOKEN: BOT_TOKEN },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`soak bot exited with ${code}`)));
  });
  const samples: Sample[] = [];
  const start = Date.now();
  let posted = 0;
  let broadcasts = 0;
  const sample = async () => {
    const b = await ask(child);
    samples.push({
      t: Date.now() - start,
      botRss: b.rss,
      botHeap: b.heap,
      botHandles: b.handles,
      emuRss: process.memoryUsage().rss,
      emuHandles: process.getActiveResourcesInfo().length,
      done: b.done,
    });
  };
  await sample();
  let nextSample = start + SAMPLE_MS;
  while (Date.now() - start < RUN_MS) {
    const sender = SENDERS[posted % SENDERS.length] ?? 'alice';
    if (posted % 2 === 0) {
      world.postMessage(id(sender, 'person'), {
        roomId: id(`${sender}-bot`, 'room'),
        text: `soak ${posted}`,
      });
      broadcasts++;
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
    await new Promise((r) => setTimeout(r, 125));
  }
  // Let the queue drain (bounded), then the last sample.
  const drainUntil = Date.now() + 20_000;
  while ((await ask(child)).done < broadcasts && Date.now() < drainUntil)
    await new Promise((r) => setTimeout(r, 250));
  await sample();
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
  await emu.stop();

  const mb = (b: number) => Math.round((b / 1048576) * 10) / 10;
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const warm = samples.filter((s) => s.t >= RUN_MS / 3);
  const heapSlope = slope(warm.map((s) => [s.t, s.botHeap / 1048576]));
  const rssSlope = slope(warm.map((s) => [s.t, s.botRss / 1048576]));
  const emuSlope = slope(warm.map((s) => [s.t, s.emuRss / 1048576]));
  const withinHeap = heapSlope < HEAP_SLOPE_BOUND_MB_MIN;
  const withinHandles = last.botHandles <= first.botHandles + HANDLE_BOUND;
  return [
    {
      title: `Soak: bot (child process) + emulator, ${Math.round(last.t / 1000)} s, ${broadcasts} broadcasts (${last.done} done), ${posted} messages`,
      columns: ['figure', 'start', 'end', 'slope after warm-up (per min)'],
      rows: [
        ['bot RSS (MB)', mb(first.botRss), mb(last.botRss), Math.round(rssSlope * 10) / 10],
        [
          'bot heap retained after gc (MB)',
          mb(first.botHeap),
          mb(last.botHeap),
          Math.round(heapSlope * 10) / 10,
        ],
        ['bot open handles', first.botHandles, last.botHandles, '-'],
        ['emulator+driver RSS (MB)', mb(first.emuRss), mb(last.emuRss), Math.round(emuSlope * 10) / 10],
        ['emulator+driver open handles', first.emuHandles, last.emuHandles, '-'],
      ],
      notes: [
        `samples every ${SAMPLE_MS / 1000} s; slope = least squares over samples after the first third. The emulator keeps every message, so its growth is expected.`,
      ],
      targets: [
        { what: `bot heap slope after warm-up < ${HEAP_SLOPE_BOUND_MB_MIN} MB/min`, met: withinHeap },
        { what: `bot open handles end ≤ start + ${HANDLE_BOUND}`, met: withinHandles },
      ],
    },
  ];
}

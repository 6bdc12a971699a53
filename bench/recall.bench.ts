/**
 * A recall of a 1,000-space broadcast with the emulator limiting the bot's `DELETE /messages` to
 * R per second: wall time from the sender's `recall` to the report card saying how many copies were
 * removed, against the floor 1000 / R (target: within 10 % of it), and the DELETE calls made (one
 * per copy, plus the replaced report cards). Runs the bot in-process over Mercury with SQLite.
 */

import type { BenchTable } from '../harness/table.js';
import { limiterRuns, LIMIT_R as R, startBenchBot } from './bench-bot.js';

const SPACES = 1000;

interface RecallRun {
  seconds: number;
  deletes: number;
  rateLimited: number;
  removed: number;
}

async function run(botRate: number): Promise<RecallRun> {
  const { emu, stop } = await startBenchBot(SPACES, botRate);
  const waitFor = async (what: string, ok: () => boolean, ms: number) => {
    const end = performance.now() + ms;
    while (!ok()) {
      if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    const world = emu.world;
    const botId = world.findPerson('bot')!.id;
    const alice = world.findPerson('alice')!;
    const direct = world.findRoom('alice-bot')!;
    const reportSays = (re: RegExp) =>
      [...world.messages.values()].some(
        (m) => m.roomId === direct.id && m.personId === botId && !m.deleted && re.test(m.markdown ?? ''),
      );
    world.postMessage(alice.id, { roomId: direct.id, text: 'to everyone, by mistake' });
    await waitFor(
      'the broadcast',
      () => reportSays(new RegExp(`Delivered to ${SPACES} of ${SPACES}`)),
      120_000,
    );
    const copies = new Set(
      [...world.messages.values()]
        .filter((m) => m.personId === botId && m.roomId !== direct.id)
        .map((m) => m.id),
    );

    emu.control.setRateLimits({ deletePerToken: { capacity: R, perSecond: R } });
    emu.control.clearRequests();
    const started = performance.now();
    world.postMessage(alice.id, { roomId: direct.id, text: 'recall' });
    await waitFor('the recall report', () => reportSays(/Recalled: \d+ of \d+ copies removed/), 120_000);
    const seconds = (performance.now() - started) / 1000;
    const deletes = emu.control
      .requests({ method: 'DELETE', personId: botId })
      .filter((r) => r.path.startsWith('/v1/messages/'));
    const removed = [...copies].filter((id) => world.messages.get(id)?.deleted).length;
    const ok = deletes.filter((r) => r.status === 204);
    return {
      seconds,
      deletes: ok.length,
      rateLimited: deletes.filter((r) => r.status === 429).length,
      removed,
    };
  } finally {
    await stop();
  }
}

export default async function (): Promise<BenchTable[]> {
  const { rows, targets } = await limiterRuns(SPACES, run, (label, r, floor) => ({
    row: [label, r.seconds, floor, r.seconds / floor, r.removed, r.deletes, r.rateLimited],
    target: { what: `${label}: every copy removed (${r.removed} of ${SPACES})`, met: r.removed === SPACES },
  }));
  return [
    {
      title: `Recall of a ${SPACES}-space broadcast, emulator limit R = ${R} DELETE /messages per second`,
      columns: ['run', 'wall s', 'floor s', 'ratio', 'copies removed', 'DELETEs 204', '429s'],
      rows,
      notes: [
        'Wall time: from the sender writing `recall` to the report card saying how many copies were removed.',
        'DELETEs include the replaced report cards (one per milestone), which share the same limit.',
      ],
      targets,
    },
  ];
}

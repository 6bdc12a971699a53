/**
 * A broadcast to 1,000 spaces with the emulator limiting `POST /messages` to R per second:
 * wall time from the sender's message to the report, against the floor 1000 / R, and the REST
 * calls the bot made for it (target ≤ 1,000 + listing pages + 5; the original needed about two
 * per destination). Runs the bot in-process over Mercury with SQLite.
 */

import type { BenchTable } from '../harness/table.js';
import { limiterRuns, LIMIT_R as R, startBenchBot } from './bench-bot.js';

const SPACES = 1000;

async function run(
  botRate: number,
): Promise<{ seconds: number; calls: number; pages: number; rateLimited: number }> {
  const { emu, stop } = await startBenchBot(SPACES, botRate);
  try {
    const world = emu.world;
    const botId = world.findPerson('bot')!.id;
    const alice = world.findPerson('alice')!;
    const direct = world.findRoom('alice-bot')!;
    emu.control.setRateLimits({ postPerToken: { capacity: R, perSecond: R } });
    emu.control.clearRequests();
    const started = performance.now();
    world.postMessage(alice.id, { roomId: direct.id, text: 'to everyone' });
    // Done when every space has its copy and the final report says so (the report card also shows
    // progress while sending, so "Delivered to" alone is not the end).
    const final = new RegExp(`Delivered to ${SPACES} of ${SPACES} spaces`);
    for (;;) {
      let copies = 0;
      let reported = false;
      for (const m of world.messages.values()) {
        if (m.personId !== botId || m.deleted) continue;
        if (m.roomId === direct.id) reported ||= final.test(m.markdown ?? '');
        else copies++;
      }
      if (copies >= SPACES && reported) break;
      if (performance.now() - started > 120_000) throw new Error('broadcast did not finish in 120 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    const seconds = (performance.now() - started) / 1000;
    const calls = emu.control.requests({ personId: botId }).filter((r) => r.path.startsWith('/v1/'));
    const pages = calls.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/rooms')).length;
    const rateLimited = calls.filter((r) => r.status === 429).length;
    return { seconds, calls: calls.length, pages, rateLimited };
  } finally {
    await stop();
  }
}

export default async function (): Promise<BenchTable[]> {
  const { rows, targets } = await limiterRuns(SPACES, run, (label, r, floor) => {
    const budget = SPACES + r.pages + 5;
    return {
      row: [label, r.seconds, floor, r.seconds / floor, r.calls, budget, r.rateLimited],
      target: {
        what: `${label}: REST calls ≤ ${budget} (${r.calls}, incl. ${r.rateLimited} answered 429)`,
        met: r.calls - r.rateLimited <= budget,
      },
    };
  });
  return [
    {
      title: `Broadcast to ${SPACES} spaces, emulator limit R = ${R} POST /messages per second`,
      columns: ['run', 'wall s', 'floor s', 'ratio', 'REST calls', 'budget', '429s'],
      rows,
      notes: [
        'Wall time: from the sender posting to the report arriving. Budget: 1,000 sends + room listing pages + 5.',
      ],
      targets,
    },
  ];
}

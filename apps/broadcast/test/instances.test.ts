/**
 * Several instances of one bot on one PostgreSQL: one rate budget for them all (Webex limits the
 * token, not the process), and `kill -9` of one mid-broadcast leaves nothing unsent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manySpacesSeed, startEmulator } from '@herald/emulator';
import { startBotInstances } from '../../../harness/bot-instances.js';
import { until } from '../../../harness/wait.js';
import { startScenario } from './scenario.js';

const url = process.env.DATABASE_URL;
const skip = url ? false : 'DATABASE_URL is not set: PostgreSQL tests skipped (CI sets it)';
const SPACES = 120;
/** The emulator's limit on POST /messages per token, and the bot's configured rate. */
const R = 40;

/** Broadcast to SPACES spaces with `instances` instances; the 429s Webex answered. */
async function rateLimitedBy(instances: number): Promise<{ copies: number; rateLimited: number }> {
  const s = await startScenario({
    transport: 'mercury',
    instances,
    databaseUrl: url,
    schema: `t_budget_${instances}_${process.pid}_${Date.now().toString(36)}`,
    seed: manySpacesSeed({ spaces: SPACES, botToken: 'SCENARIO_BOT_TOKEN', personToken: 'ALICE' }),
    config: { delivery: { rate_per_second: R, workers: 4, lease_seconds: 30, max_attempts: 5 } },
  });
  try {
    s.emu.control.setRateLimits({ postPerToken: { capacity: R, perSecond: R } });
    s.emu.control.clearRequests();
    s.post('alice', { roomId: s.room('alice-bot').id, text: 'shared budget' });
    await s.waitFor('every copy', () => s.world.messages.size >= SPACES + 1, 60_000);
    await s.settled(60_000);
    const bot = s.person('bot');
    const posts = s.emu.control.requests({ method: 'POST', personId: bot.id });
    const rooms = new Set(
      [...s.world.messages.values()].filter((m) => m.personId === bot.id).map((m) => m.roomId),
    );
    return { copies: rooms.size, rateLimited: posts.filter((r) => r.status === 429).length };
  } finally {
    await s.stop();
  }
}

describe('instances sharing PostgreSQL', { skip }, () => {
  it(`three instances together keep to delivery.rate_per_second: no more 429s than one`, async () => {
    const one = await rateLimitedBy(1);
    const three = await rateLimitedBy(3);
    // Every space and the sender's report.
    assert.equal(one.copies, SPACES + 1);
    assert.equal(three.copies, SPACES + 1);
    // The bot spends at most half of Webex's burst at once (pipeline/limiter.ts), so neither run
    // should meet a 429: 0 and 0 in runs here, on a quiet machine and under load. With a budget per
    // instance instead (the key made per instance), three instances meet 8 to 17. Two are allowed
    // for a machine that stalls one process for longer than half a second.
    assert.ok(
      three.rateLimited <= one.rateLimited + 2,
      `three instances met ${three.rateLimited} 429s, one met ${one.rateLimited}`,
    );
  });

  it('kill -9 of one of three instances mid-broadcast: the others send the rest, each space once or twice at most', async () => {
    const emu = await startEmulator({
      port: 0,
      seed: manySpacesSeed({
        spaces: SPACES,
        botToken: 'KILL3_BOT',
        personToken: 'KILL3_ALICE',
        prefix: 'r',
      }),
    });
    const world = emu.world;
    const bot = world.findPerson('bot')!;
    const copies = () => {
      const counts = new Map<string, number>();
      for (const m of world.messages.values())
        if (m.personId === bot.id) counts.set(m.roomId, (counts.get(m.roomId) ?? 0) + 1);
      return counts;
    };
    const waitUntil = (what: string, ok: () => boolean, ms = 60_000) => until(what, ok, ms, 5);
    const instances = await startBotInstances(emu, {
      token: 'KILL3_BOT',
      databaseUrl: url!,
      schema: `t_kill3_${process.pid}_${Date.now().toString(36)}`,
      count: 3,
      name: 'kill3',
      delivery: { rate_per_second: R, workers: 2, lease_seconds: 5, max_attempts: 5 },
    });
    try {
      await waitUntil('three instances to connect', () => emu.control.mercury.socketCount(bot.id) >= 3);
      emu.control.setRateLimits({ postPerToken: { capacity: R, perSecond: R } });
      const alice = world.findPerson('alice')!;
      world.postMessage(alice.id, { roomId: world.findRoom('alice-bot')!.id, text: 'survive a kill' });
      await waitUntil('a third of the copies', () => copies().size >= SPACES / 3);
      instances.children[0]!.kill('SIGKILL');
      await waitUntil('every space', () => copies().size >= SPACES + 1, 90_000);
      await waitUntil('the report', () =>
        [...world.messages.values()].some(
          (m) => m.personId === bot.id && /Delivered to/.test(m.markdown ?? ''),
        ),
      );
      const counts = copies();
      assert.equal(counts.size, SPACES + 1, 'every space and the report');
      const extra = [...counts.values()].reduce((a, n) => a + (n - 1), 0);
      // Of the killed instance's two workers, the send in flight and the copy whose row was being
      // written may repeat; nothing else.
      assert.ok(extra <= 2 * 2 + 1, `${extra} extra messages`);
    } finally {
      await instances.stop();
      await emu.stop();
    }
  });
});

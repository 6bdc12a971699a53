/**
 * A worker claims its next batch while it sends the last quarter of the current one (bot.ts
 * `deliverStep`). When the bot stops, what it claimed ahead and did not start goes back to the
 * queue at once: nothing stays leased until the lease runs out, no attempt is spent on it, and
 * the next run sends every remaining copy once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manySpacesSeed } from '@herald/emulator';
import { withScenario } from './scenario.js';

const ROOMS = 30;

describe('claims ahead', () => {
  it(`a bot stopped mid-broadcast hands back the batch it claimed ahead; the next run sends the rest once`, async () => {
    await withScenario(
      {
        transport: 'mercury',
        seed: manySpacesSeed({
          spaces: ROOMS,
          botToken: 'SCENARIO_BOT_TOKEN',
          personToken: 'ALICE',
          prefix: 'r',
        }),
        // One worker at 32 a second: batches of 8 (bot.ts `claimBatch`), the next claimed as the
        // 7th copy of a batch starts. A lease of 600 s: a row left leased would stay so.
        config: { delivery: { rate_per_second: 32, workers: 1, lease_seconds: 600, max_attempts: 5 } },
      },
      async (s) => {
        const rooms = Array.from({ length: ROOMS }, (_, i) => `r${i}`);
        const store = s.bot.store as {
          claimDeliveries: typeof s.bot.store.claimDeliveries;
          unclaimDeliveries: typeof s.bot.store.unclaimDeliveries;
        };
        // The bot is stopped as soon as a claim ahead comes back: the second claim that finds
        // rows, made while the first batch's 7th copy goes out.
        const { claimDeliveries, unclaimDeliveries } = store;
        let batches = 0;
        let stopped: Promise<void> | undefined;
        store.claimDeliveries = async (...a) => {
          const rows = await claimDeliveries(...a);
          if (rows.length > 0 && ++batches === 2) stopped = s.bot.bot.stop();
          return rows;
        };
        // What the bot hands back at stop, as the store counts it.
        let handedBack = 0;
        store.unclaimDeliveries = async (...a) => {
          const n = await unclaimDeliveries(...a);
          handedBack += n;
          return n;
        };
        const sent = () => rooms.filter((k) => s.copiesIn(k).length > 0).length;
        // Each copy takes 80 ms or more: the claim ahead comes back while the first batch is still
        // going out, however busy the machine (the limiter's burst would send it at once).
        s.emu.control.setFaults({ latencyMs: 80, pathFilter: '/messages' });
        s.post('alice', { roomId: s.room('alice-bot').id, text: 'quarterly figures' });
        await s.waitFor('a claim ahead', () => stopped, 30_000);
        await stopped;
        // The first batch went out whole; the one claimed ahead came back.
        const atStop = sent();
        assert.equal(atStop, 8, 'the batch under way is finished');
        assert.equal(handedBack, 8, 'the batch claimed ahead is handed back');
        const rows = await s.bot.store.db.selectFrom('deliveries').select(['status', 'attempts']).execute();
        const count = (status: string) => rows.filter((r) => r.status === status).length;
        assert.equal(count('sending'), 0, 'no copy left leased (a lease of 600 s would hold it that long)');
        assert.equal(count('sent'), atStop, 'every copy in a space is recorded sent');
        assert.equal(count('pending'), ROOMS - atStop);
        assert.deepEqual(
          rows.filter((r) => r.status === 'pending').map((r) => Number(r.attempts)),
          Array.from({ length: ROOMS - atStop }, () => 0),
          'a copy handed back has spent no attempt',
        );
        await s.restart();
        await s.waitFor('every copy', () => sent() === ROOMS, 30_000);
        await s.settled(30_000);
        for (const k of rooms) assert.equal(s.copiesIn(k).length, 1, `one copy in ${k}`);
      },
    );
  });
});

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import { SEEN_RETENTION_MS, type Store } from '../src/store/store.js';
import { storeFactories } from './helpers.js';
import { withScenario } from './scenario.js';

/** Record `count` event keys `${prefix}0…`, the i-th at time `at(i)`. */
async function seed(store: Store, prefix: string, count: number, at: (i: number) => number): Promise<void> {
  const rows = Array.from({ length: count }, (_, i) => ({ key: `${prefix}${i}`, created_at: at(i) }));
  for (let i = 0; i < rows.length; i += 500)
    await store.db
      .insertInto('seen_events')
      .values(rows.slice(i, i + 500))
      .execute();
}

async function keys(store: Store): Promise<string[]> {
  const rows = await store.db.selectFrom('seen_events').select('key').orderBy('key').execute();
  return rows.map((r) => r.key);
}

for (const factory of storeFactories()) {
  describe(`seen_events retention on ${factory.name}`, { skip: factory.skip }, () => {
    after(() => factory.cleanup());

    it('forgets keys recorded before the cut-off and keeps the rest', async () => {
      const store = await factory.open();
      await store.markSeen('old:a', 100);
      await store.markSeen('old:b', 999);
      await store.markSeen('edge', 1000);
      await store.markSeen('new', 5000);
      assert.equal(await store.pruneSeen(1000), 2);
      assert.deepEqual(await keys(store), ['edge', 'new'], 'created_at == before is kept');
      assert.equal(await store.pruneSeen(1000), 0, 'nothing left to forget');
      await store.close();
    });

    it('a pruned key counts as new again; a kept one does not', async () => {
      const store = await factory.open();
      assert.equal(await store.markSeen('message.created:A', 1), true);
      assert.equal(await store.markSeen('message.created:B', 2_000), true);
      assert.equal(await store.pruneSeen(1_000), 1);
      assert.equal(await store.markSeen('message.created:A', 3_000), true, 'forgotten');
      assert.equal(await store.markSeen('message.created:B', 3_000), false, 'still remembered');
      assert.equal(await store.markSeen('message.created:A', 3_001), false, 'remembered again');
      await store.close();
    });

    it('deletes at most `limit` keys a call, the oldest first', async () => {
      const store = await factory.open();
      // k0 is the newest: insertion order must not decide what goes first.
      await seed(store, 'k', 25, (i) => 1_000 - i);
      await seed(store, 'fresh', 3, () => 10_000);
      assert.equal(await store.pruneSeen(5_000, 10), 10);
      const left = await keys(store);
      assert.equal(left.length, 18);
      for (let i = 15; i < 25; i++) assert.ok(!left.includes(`k${i}`), `k${i} (among the oldest) is gone`);
      for (let i = 0; i < 15; i++) assert.ok(left.includes(`k${i}`), `k${i} waits for the next batch`);
      assert.equal(await store.pruneSeen(5_000, 10), 10);
      assert.equal(await store.pruneSeen(5_000, 10), 5);
      assert.equal(await store.pruneSeen(5_000, 10), 0);
      assert.deepEqual(await keys(store), ['fresh0', 'fresh1', 'fresh2']);
      await store.close();
    });

    it('by default deletes 5000 keys a call', async () => {
      const store = await factory.open();
      await seed(store, 'k', 5_001, (i) => i);
      assert.equal(await store.pruneSeen(1_000_000), 5_000);
      assert.equal(await store.pruneSeen(1_000_000), 1);
      await store.close();
    });

    it('refuses a limit that is not a positive integer', async () => {
      const store = await factory.open();
      await store.markSeen('k', 1);
      for (const limit of [0, -1, 1.5, Number.NaN])
        await assert.rejects(store.pruneSeen(10, limit), RangeError, `limit ${limit}`);
      assert.deepEqual(await keys(store), ['k']);
      await store.close();
    });

    it('two stores pruning at once delete every due key once', async () => {
      const a = await factory.open('shared');
      const b = await factory.open('shared');
      await seed(a, 'k', 30, (i) => i);
      const counts = await Promise.all([a.pruneSeen(100, 20), b.pruneSeen(100, 20)]);
      assert.equal(counts[0] + counts[1], 30, `deleted ${counts.join(' + ')}`);
      assert.deepEqual(await keys(a), []);
      await a.close();
      await b.close();
    });

    it('forgets file bytes of broadcasts that ended before the cut-off, and only those', async () => {
      const store = await factory.open();
      const file = (n: string) => ({
        name: `${n}.bin`,
        contentType: 'application/octet-stream',
        bytes: Buffer.from(n),
      });
      const plan = async (id: string, at: number) => {
        await store.createBroadcast(
          { id, sourceMessageId: `M-${id}`, sourceRoomId: 'R', senderId: 'P', request: {} },
          at,
        );
        await store.claimBroadcasts('received', 'me', at, 1000, 10);
        assert.equal(
          await store.savePlan(id, 'me', { v: 1 }, file(id), [{ roomId: 'R1', roomType: 'group' }], at),
          true,
        );
      };
      await plan('old-done', 10);
      await store.finishBroadcast('old-done', 'done', null, 20);
      await plan('old-refused', 10);
      await store.finishBroadcast('old-refused', 'refused', 'test', 30);
      await plan('still-sending', 10);
      await plan('new-done', 10);
      await store.finishBroadcast('new-done', 'done', null, 500);

      assert.equal(await store.pruneFiles(100, 1), 1, 'one a call with limit 1');
      assert.equal(await store.getFile('old-done'), undefined, 'the oldest ended first');
      assert.equal(await store.pruneFiles(100), 1);
      assert.equal(await store.getFile('old-refused'), undefined);
      assert.equal(await store.pruneFiles(100), 0);
      assert.deepEqual((await store.getFile('still-sending'))?.bytes, Buffer.from('still-sending'));
      assert.deepEqual((await store.getFile('new-done'))?.bytes, Buffer.from('new-done'));
      assert.equal((await store.getBroadcast('old-done'))?.status, 'done', 'the broadcast itself stays');
      await store.close();
    });

    it('migrates an index on seen_events(created_at)', async () => {
      const store = await factory.open();
      const found =
        store.dialect === 'sqlite'
          ? await sql<{ name: string }>`select name from sqlite_master
              where type = 'index' and tbl_name = 'seen_events' and sql like '%created_at%'`.execute(store.db)
          : await sql<{ name: string }>`select indexname as name from pg_indexes
              where schemaname = current_schema() and tablename = 'seen_events'
                and indexdef like '%(created_at)%'`.execute(store.db);
      assert.deepEqual(
        found.rows.map((r) => r.name),
        ['seen_events_created_at'],
      );
      await store.close();
    });
  });
}

describe('the running bot forgets event keys past the retention', () => {
  it('its sweeper prunes seen_events once the bot clock has moved on', async () => {
    let offset = 0;
    await withScenario({ transport: 'mercury', now: () => Date.now() + offset }, async (s) => {
      // An edit of the source is an event the bot records as seen (a new message is kept unique by
      // its broadcast instead).
      const source = await s.postAndSettle('alice', {
        roomId: s.room('alice-bot').id,
        text: 'retention check',
      });
      s.emu.control.edit('alice', source.id, { markdown: 'retention check, edited' });
      const store = s.bot.store;
      const recordedBy = Date.now() + 10_000;
      while ((await keys(store)).length === 0) {
        if (Date.now() > recordedBy) throw new Error('the edit was not recorded as seen');
        await new Promise((r) => setTimeout(r, 25));
      }
      // Eight days later (and past the sweeper's ten-minute pause), those keys are past retention.
      offset = SEEN_RETENTION_MS + 24 * 3600_000;
      const deadline = Date.now() + 10_000;
      while ((await keys(store)).length > 0) {
        if (Date.now() > deadline) throw new Error('seen_events were not pruned');
        await new Promise((r) => setTimeout(r, 25));
      }
      const broadcasts = await store.recentBroadcasts(10);
      assert.equal(broadcasts.length, 1, 'pruning forgets event keys only, not broadcasts');
    });
  });
});

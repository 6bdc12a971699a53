/**
 * How the database runs a claim: each of the two claims of a queue reads one index range in
 * order (SQLite `EXPLAIN QUERY PLAN`, PostgreSQL `EXPLAIN`), with no sort of the pending rows, so
 * that claiming one row does not cost more as copies pile up; on PostgreSQL right after the plan,
 * whose statistics the store brings up to date itself. Which of the two claims runs first. And the
 * wake-up signal: new work announced by one store reaches another on the same PostgreSQL schema.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { CompiledQuery, sql } from 'kysely';
import { markStatement } from '../src/store/deliveries.js';
import { EXPIRED_CHECK_MS, queueClaims } from '../src/store/lease.js';
import type { Store } from '../src/store/store.js';
import { groupRooms, plannedBroadcast, storeFactories } from './helpers.js';

const PENDING = 5000;

async function planMany(store: Store, n: number): Promise<void> {
  assert.equal(await plannedBroadcast(store, groupRooms(n)), true);
}

/** The plan of a statement as text lines: SQLite's detail column, or PostgreSQL's node lines. */
async function explain(store: Store, query: CompiledQuery): Promise<string[]> {
  const prefix = store.dialect === 'sqlite' ? 'explain query plan ' : 'explain ';
  const r = await store.db.executeQuery<Record<string, unknown>>(
    CompiledQuery.raw(prefix + query.sql, [...query.parameters]),
  );
  return r.rows.map((row) => String(row.detail ?? row['QUERY PLAN']));
}

for (const factory of storeFactories()) {
  describe(`claims on ${factory.name}`, { skip: factory.skip }, () => {
    after(() => factory.cleanup());

    it(`with ${PENDING} pending rows just planned, each claim reads one index in order, without a sort`, async () => {
      const store = await factory.open();
      // No `analyze` here: on PostgreSQL the plan's own does it (store/plan.ts). Statistics from
      // before the plan would have the pending claim sort every pending row (a bitmap heap scan).
      await planMany(store, PENDING);
      const claims = queueClaims(store, 'deliveries', { owner: 'w', now: 10, leaseMs: 1000, limit: 8 });
      for (const [which, index] of [
        ['pending', 'deliveries_due'],
        ['expired', 'deliveries_lease'],
      ] as const) {
        const plan = await explain(store, claims[which](8).compile());
        const text = plan.join('\n');
        assert.match(text, new RegExp(index), `${which} claim uses ${index}:\n${text}`);
        assert.doesNotMatch(text, /TEMP B-TREE|Sort/i, `${which} claim sorts:\n${text}`);
        assert.doesNotMatch(text, /MULTI-INDEX OR|BitmapOr/i, `${which} claim ORs two indexes:\n${text}`);
      }
      // And the claim does what it says: the oldest due rows, each once.
      const first = await store.claimDeliveries('w', 10, 1000, 8);
      assert.deepEqual(
        first.map((d) => d.room_id),
        Array.from({ length: 8 }, (_, i) => `R${i}`),
      );
      await store.close();
    });

    it('a statement of sent copies finds each row by its key, with 160 copies in flight', async () => {
      const store = await factory.open('marks');
      await planMany(store, PENDING);
      // Four workers with a claim of 40 each, as in a fan-out: the statistics see none in flight.
      const held = [];
      for (let w = 0; w < 4; w++) held.push(await store.claimDeliveries(`w${w}`, 10, 60_000, 40));
      const mine = (held[0] ?? []).slice(0, 4).map((d) => d.id);
      const params = mine.flatMap((id) => [id, 'w0', `M${id}`, 1, 1, 20]);
      const plan = (await explain(store, CompiledQuery.raw(markStatement(store.dialect, 4), params))).join(
        '\n',
      );
      // Not a read of every in-flight row (deliveries_lease) joined to the marks.
      assert.match(
        plan,
        store.dialect === 'sqlite'
          ? /SEARCH deliveries USING INTEGER PRIMARY KEY/
          : /Index Scan using deliveries_pkey/,
        `the marks read the primary key:\n${plan}`,
      );
      assert.doesNotMatch(plan, /deliveries_lease|deliveries_due|SCAN deliveries|Seq Scan/, plan);
      // And they write what they say: w0's rows are sent, one w1 holds is not w0's to mark.
      const marked = await Promise.all(mine.map((id) => store.markSent(id, 'w0', `M${id}`, 20)));
      assert.deepEqual(marked, [true, true, true, true]);
      assert.deepEqual(
        held.map((rows) => rows.length),
        [40, 40, 40, 40],
        'four claims of 40 in flight',
      );
      const theirs = held[1]?.[0]?.id ?? 0;
      assert.equal(await store.markSent(theirs, 'w0', 'M-x', 20), false);
      const counts = await store.countDeliveries('b');
      assert.equal(counts.sent, 4);
      await store.close();
    });

    it(`a recall of ${PENDING} sent copies: the delete tasks are claimed off their index too, without a sort`, async () => {
      const store = await factory.open('recall');
      await planMany(store, PENDING);
      // Every copy sent (as the workers would leave them), then recalled: one delete task each.
      await store.db
        .updateTable('deliveries')
        .set({ status: 'sent', message_id: sql<string>`'M' || cast(id as text)` })
        .execute();
      assert.equal(await store.tasks.requestRecall('b', 'P', 20), true);
      const claims = queueClaims(store, 'copy_tasks', { owner: 'w', now: 30, leaseMs: 1000, limit: 8 });
      const text = (await explain(store, claims.pending(8).compile())).join('\n');
      assert.match(text, /copy_tasks_due/, `the task claim uses copy_tasks_due:\n${text}`);
      assert.doesNotMatch(text, /TEMP B-TREE|Sort|Bitmap/i, `the task claim sorts:\n${text}`);
      assert.equal((await store.tasks.claim('w', 30, 1000, 8)).length, 8);
      await store.close();
    });

    it(`pending rows come first; expired leases fill what they leave, and lead once every ${EXPIRED_CHECK_MS} ms`, async () => {
      const store = await factory.open('expired');
      await planMany(store, 10);
      const ids = (rows: Array<{ room_id: string }>) => rows.map((d) => d.room_id);
      // A holder that will be gone: R0 to R3, leased at 10 for 100 ms. (This first claim looks
      // for expired leases first: there are none yet.)
      assert.deepEqual(ids(await store.claimDeliveries('gone', 10, 100, 4)), ['R0', 'R1', 'R2', 'R3']);
      // At 500 those leases have run out, but pending rows fill the claim: the expired rows wait.
      assert.deepEqual(ids(await store.claimDeliveries('b', 500, 60_000, 4)), ['R4', 'R5', 'R6', 'R7']);
      // Two pending rows left: the expired ones fill the rest.
      assert.deepEqual(ids(await store.claimDeliveries('b', 600, 60_000, 6)), [
        'R0',
        'R1',
        'R2',
        'R3',
        'R8',
        'R9',
      ]);
      // New pending rows (S0 to S3), and two of b's leases run out (its process is gone too).
      await plannedBroadcast(
        store,
        groupRooms(4).map((r) => ({ ...r, roomId: `S${r.roomId.slice(1)}` })),
        { id: 'b2' },
      );
      await store.db
        .updateTable('deliveries')
        .set({ lease_until: 100 })
        .where('room_id', 'in', ['R0', 'R1'])
        .execute();
      assert.deepEqual(ids(await store.claimDeliveries('c', 700, 60_000, 2)), ['S0', 'S1'], 'pending first');
      // A period after the last claim that looked first, the expired leases lead.
      assert.deepEqual(ids(await store.claimDeliveries('c', 10 + EXPIRED_CHECK_MS, 60_000, 2)), ['R0', 'R1']);
      assert.deepEqual(ids(await store.claimDeliveries('c', 20 + EXPIRED_CHECK_MS, 60_000, 4)), ['S2', 'S3']);
      await store.close();
    });

    it('new work announced by one store wakes the listeners of another', async (t) => {
      const a = await factory.open('signal');
      // A second store on the same database: on PostgreSQL another instance on the same schema.
      const other = a.dialect === 'postgres' ? await factory.open('signal') : a;
      const woken = { a: 0, b: 0 };
      // Closed even when an assertion fails: an open LISTEN connection would hold the test process.
      t.after(async () => {
        if (other !== a) await other.close();
        await a.close();
      });
      await a.signal.subscribe(() => woken.a++);
      if (other !== a) await other.signal.subscribe(() => woken.b++);
      await a.signal.announce();
      assert.equal(woken.a, 1, 'in-process at once');
      if (a.dialect === 'postgres') {
        const deadline = Date.now() + 5000;
        while (woken.b === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
        assert.equal(woken.b, 1, 'the other instance, through NOTIFY');
        // The same NOTIFY reached this store's own listening connection too: it does not wake it twice.
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(woken.a, 1, 'its own NOTIFY is skipped');
      }
    });
  });
}

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { Store } from '../src/store/store.js';
import { groupRooms, plannedBroadcast, storeFactories } from './helpers.js';

/** Counts the statements that mark copies sent as they reach the database (`n`). */
function countMarkStatements(store: Store): { n: number } {
  const marks = { n: 0 };
  const db = (store.marksDb ?? store.db) as unknown as {
    executeQuery: (q: { sql: string }) => Promise<unknown>;
  };
  const run = db.executeQuery.bind(db);
  db.executeQuery = (q) => {
    if (/^with v \(id, owner, message_id/.test(q.sql)) marks.n++;
    return run(q);
  };
  return marks;
}

for (const factory of storeFactories()) {
  describe(`store on ${factory.name}`, { skip: factory.skip }, () => {
    after(() => factory.cleanup());

    it('records an event key once', async () => {
      const store = await factory.open();
      assert.equal(await store.markSeen('message.created:A', 1), true);
      assert.equal(await store.markSeen('message.created:A', 2), false);
      await store.close();
    });

    it('creates one broadcast per source message', async () => {
      const store = await factory.open();
      const b = {
        id: 'b1',
        sourceMessageId: 'M1',
        sourceRoomId: 'R',
        senderId: 'P',
        request: { text: 'hi' },
      };
      assert.equal(await store.createBroadcast(b, 1), true);
      assert.equal(await store.createBroadcast({ ...b, id: 'b2' }, 2), false);
      await store.close();
    });

    it('a mark lingers for others until its worker asks for it; then one statement writes all that wait', async () => {
      const store = await factory.open();
      await plannedBroadcast(store, groupRooms(4), { id: 'h1', at: 20 });
      const [a, b, c, d] = await store.claimDeliveries('w', 100, 1000, 4);
      const marks = countMarkStatements(store);
      const first = store.markSent(a!.id, 'w', 'A', 200);
      const second = store.markSent(b!.id, 'w', 'B', 200);
      assert.equal(marks.n, 0, 'nothing written while the marks linger');
      store.hurryMark(a!.id);
      assert.equal(marks.n, 1, 'asked for: written at once, with the mark queued beside it');
      // Asking again for a mark already under way writes nothing more.
      store.hurryMark(a!.id);
      store.hurryMark(b!.id);
      assert.equal(marks.n, 1);
      assert.deepEqual(await Promise.all([first, second]), [true, true]);
      // Not asked for, a mark is written after the linger, with the ones that came meanwhile.
      const third = store.markSent(c!.id, 'w', 'C', 300);
      await new Promise((r) => setImmediate(r));
      const fourth = store.markSent(d!.id, 'w', 'D', 300);
      assert.deepEqual(await Promise.all([third, fourth]), [true, true]);
      assert.equal(marks.n, 2);
      const rows = await store.deliveriesOf('h1');
      assert.deepEqual(
        rows.map((r) => [r.room_id, r.status, r.message_id]),
        [
          ['R0', 'sent', 'A'],
          ['R1', 'sent', 'B'],
          ['R2', 'sent', 'C'],
          ['R3', 'sent', 'D'],
        ],
      );
      await store.close();
    });

    it('more marks than one statement holds: the next statement follows at once, without lingering', async () => {
      const store = await factory.open();
      await plannedBroadcast(store, groupRooms(130), { id: 'full', at: 20 });
      const claimed = await store.claimDeliveries('w', 100, 1000, 130);
      const marks = countMarkStatements(store);
      const all = claimed.map((d) => store.markSent(d.id, 'w', `M${d.id}`, 200));
      store.hurryMark(claimed[0]!.id);
      await all[0];
      // 64 written; 66 still queued, more than a statement's worth: already under way.
      assert.equal(marks.n, 2);
      assert.ok((await Promise.all(all)).every(Boolean));
      assert.equal(marks.n, 3, '64, 64 and the last 2');
      assert.equal((await store.countDeliveries('full')).sent, 130);
      await store.close();
    });

    // SQLite has one file and one setting for every statement (synchronous = NORMAL, sqlite-thread.ts).
    if (factory.name === 'postgres')
      it('a sent copy is committed on a connection of its own that does not wait for the disk', async (t) => {
        const store = await factory.open('marks');
        const setting = async (db: typeof store.db) =>
          (await sql<{ synchronous_commit: string }>`show synchronous_commit`.execute(db)).rows[0]
            ?.synchronous_commit;
        assert.equal(await setting(store.db), 'on', 'claims, plans and reports wait for the disk');
        assert.ok(store.marksDb);
        assert.equal(await setting(store.marksDb), 'off', 'marks do not');
        await plannedBroadcast(store, groupRooms(2), { id: 'm1', at: 20 });
        const [a, b] = await store.claimDeliveries('w', 100, 1000, 2);
        const marked = Promise.all([
          store.markSent(a!.id, 'w', 'A', 200),
          store.markSent(b!.id, 'w', 'B', 200),
        ]);
        store.hurryMark(a!.id);
        assert.deepEqual(await marked, [true, true]);
        // Committed, not held in a transaction: another instance on the database sees both at once.
        const other = await factory.open('marks');
        t.after(() => other.close());
        const rows = await other.deliveriesOf('m1');
        assert.deepEqual(
          rows.map((r) => [r.status, r.message_id, r.lease_owner]),
          [
            ['sent', 'A', null],
            ['sent', 'B', null],
          ],
        );
        await store.close();
      });

    it('marks sent that arrive together are written together, each with its own copy and outcome', async () => {
      const store = await factory.open();
      await store.createBroadcast(
        { id: 'g1', sourceMessageId: 'M1', sourceRoomId: 'R', senderId: 'P', request: {} },
        0,
      );
      await store.claimBroadcasts('received', 'me', 10, 1000, 1);
      const rooms = Array.from({ length: 5 }, (_, i) => ({ roomId: `R${i}`, roomType: 'group' as const }));
      await store.savePlan('g1', 'me', { v: 1 }, undefined, rooms, 20);
      const mine = await store.claimDeliveries('w1', 100, 1000, 4);
      const [theirs] = await store.claimDeliveries('w2', 100, 1000, 1);
      // Called at once: they linger together and go in one statement.
      const held = await Promise.all([
        ...mine.map((d, i) =>
          store.markSent(d.id, 'w1', `MSG${i}`, 200 + i, { version: i + 1, editable: i % 2 === 0 }),
        ),
        store.markSent(theirs!.id, 'w1', 'NOT_MINE', 210),
      ]);
      assert.deepEqual(held, [true, true, true, true, false], 'a lease held by another is not written');
      const rows = await store.deliveriesOf('g1');
      assert.deepEqual(
        rows.map((r) => [r.room_id, r.status, r.message_id, r.content_version, r.editable, r.lease_owner]),
        [
          ['R0', 'sent', 'MSG0', 1, 1, null],
          ['R1', 'sent', 'MSG1', 2, 0, null],
          ['R2', 'sent', 'MSG2', 3, 1, null],
          ['R3', 'sent', 'MSG3', 4, 0, null],
          ['R4', 'sending', null, 0, 1, 'w2'],
        ],
      );
      assert.equal(rows[3]?.updated_at, 203);
      await store.close();
    });

    it('plans once, leases deliveries, and claims an expired lease again', async () => {
      const store = await factory.open();
      await store.createBroadcast(
        { id: 'b1', sourceMessageId: 'M1', sourceRoomId: 'R', senderId: 'P', request: {} },
        0,
      );
      const [claimed] = await store.claimBroadcasts('received', 'me', 10, 1000, 5);
      assert.equal(claimed?.id, 'b1');
      assert.deepEqual(await store.claimBroadcasts('received', 'other', 20, 1000, 5), [], 'lease held');
      const rooms = Array.from({ length: 3 }, (_, i) => ({ roomId: `R${i}`, roomType: 'group' as const }));
      const file = { name: 'a.txt', contentType: 'text/plain', bytes: Buffer.from([0, 1, 2, 255]) };
      assert.equal(await store.savePlan('b1', 'me', { v: 1 }, file, rooms, 30), true);
      assert.equal(await store.savePlan('b1', 'me', { v: 2 }, file, rooms, 31), false, 'planned once');
      assert.deepEqual((await store.getFile('b1'))?.bytes, file.bytes);

      const first = await store.claimDeliveries('w1', 100, 1000, 2);
      assert.equal(first.length, 2);
      const second = await store.claimDeliveries('w2', 100, 1000, 10);
      assert.deepEqual(
        second.map((d) => d.room_id),
        ['R2'],
      );
      assert.equal(await store.markSent(first[0]!.id, 'w1', 'MSG0', 200), true);
      // w1 "dies" holding first[1]; after its lease expires w2 claims it and w1's late write is refused.
      const again = await store.claimDeliveries('w2', 1200, 1000, 10);
      assert.deepEqual(
        again.map((d) => d.room_id),
        ['R1', 'R2'],
      );
      assert.equal(again[0]?.attempts, 2);
      assert.equal(await store.markSent(first[1]!.id, 'w1', 'LATE', 1201), false);
      await store.markSent(again[0]!.id, 'w2', 'MSG1', 1300);
      assert.deepEqual(await store.completeFinishedBroadcasts(1300), [], 'one delivery still in flight');
      await store.markFailed(again[1]!.id, 'w2', 'not a moderator', 1400);
      assert.deepEqual(await store.countDeliveries('b1'), {
        held: 0,
        pending: 0,
        sending: 0,
        sent: 2,
        failed: 1,
        cancelled: 0,
      });
      assert.deepEqual(await store.completeFinishedBroadcasts(1500), ['b1']);
      assert.deepEqual(await store.completeFinishedBroadcasts(1501), [], 'only one completer wins');
      await store.close();
    });

    it('honours not_before when a delivery is retried later', async () => {
      const store = await factory.open();
      await plannedBroadcast(store, [{ roomId: 'X', roomType: 'direct' }]);
      const [d] = await store.claimDeliveries('w', 0, 1000, 1);
      await store.retryLater(d!.id, 'w', 5000, '503', 1);
      assert.deepEqual(await store.claimDeliveries('w', 4999, 1000, 1), []);
      const [again] = await store.claimDeliveries('w', 5000, 1000, 1);
      assert.equal(again?.attempts, 2, 'a 503 counts as an attempt');
      // A 429 is Webex asking to wait: its claim is refunded, so waiting never exhausts max_attempts.
      await store.retryLater(again!.id, 'w', 6000, '429', 5001, true);
      const [third] = await store.claimDeliveries('w', 6000, 1000, 1);
      assert.equal(third?.attempts, 2);
      await store.close();
    });

    it('two stores on one database never claim the same delivery', async () => {
      const a = await factory.open('shared');
      const b = await factory.open('shared');
      await a.createBroadcast(
        { id: 'b', sourceMessageId: 'M', sourceRoomId: 'R', senderId: 'P', request: {} },
        0,
      );
      await a.claimBroadcasts('received', 'a', 0, 1000, 1);
      const rooms = Array.from({ length: 200 }, (_, i) => ({ roomId: `R${i}`, roomType: 'group' as const }));
      await a.savePlan('b', 'a', {}, undefined, rooms, 0);
      const seen: string[] = [];
      const worker = async (store: typeof a, owner: string) => {
        for (;;) {
          const batch = await store.claimDeliveries(owner, 10, 60_000, 7);
          if (batch.length === 0) return;
          for (const d of batch) {
            seen.push(d.room_id);
            await store.markSent(d.id, owner, `m-${d.room_id}`, 11);
          }
        }
      };
      await Promise.all([worker(a, 'a'), worker(b, 'b'), worker(a, 'a2'), worker(b, 'b2')]);
      assert.equal(seen.length, 200);
      assert.equal(new Set(seen).size, 200);
      await a.close();
      await b.close();
    });

    it('a held plan goes out once on a decision; a rejected one never', async () => {
      const store = await factory.open();
      for (const id of ['p', 'q']) {
        const rooms = [{ roomId: `${id}1`, roomType: 'group' as const }];
        assert.equal(await plannedBroadcast(store, rooms, { id, status: 'previewed' }), true);
      }
      assert.deepEqual(await store.claimDeliveries('w', 1, 1000, 10), [], 'held deliveries are not claimed');
      assert.equal(await store.decide('p', 'previewed', 'sending', null, 2), true);
      assert.equal(await store.decide('p', 'previewed', 'sending', null, 3), false, 'pressed twice: once');
      assert.equal(await store.decide('q', 'previewed', 'rejected', 'A', 3), true);
      const claimed = await store.claimDeliveries('w', 4, 1000, 10);
      assert.deepEqual(
        claimed.map((d) => d.room_id),
        ['p1'],
      );
      assert.equal((await store.countDeliveries('q')).cancelled, 1);
      await store.close();
    });

    it('a recall cancels what is not sent, deletes each sent copy once, and finishes once', async () => {
      const store = await factory.open();
      await plannedBroadcast(store, groupRooms(4));
      const [d0, d1, d2] = await store.claimDeliveries('w', 1, 1000, 3);
      await store.markSent(d0!.id, 'w', 'C0', 2);
      await store.markSent(d1!.id, 'w', 'C1', 2);
      // d2 is in flight, R3 still pending when the recall comes.
      assert.equal(await store.tasks.requestRecall('b', 'P', 3), true);
      assert.equal(await store.tasks.requestRecall('b', 'P', 3), false, 'once');
      assert.equal((await store.countDeliveries('b')).cancelled, 1);
      assert.equal(await store.markSent(d2!.id, 'w', 'C2', 4), true);
      assert.equal(await store.tasks.sweepRecall('b', 5), false, 'deletes still open');
      assert.equal(await store.tasks.sweepRecall('b', 5), false);
      const tasks = await store.tasks.claim('t', 6, 1000, 10);
      assert.equal(tasks.length, 3, 'one delete per sent copy, however often swept');
      await store.tasks.retryLater(tasks[0]!.id, 't', 100, '429', 6);
      for (const t of tasks.slice(1))
        await store.tasks.finish(t.id, 't', { status: 'done', result: 'deleted' }, 7);
      assert.equal(await store.tasks.sweepRecall('b', 8), false);
      const [again] = await store.tasks.claim('t', 100, 1000, 10);
      await store.tasks.finish(again!.id, 't', { status: 'done', result: 'gone' }, 101);
      assert.equal(await store.tasks.sweepRecall('b', 102), true);
      assert.equal(await store.tasks.sweepRecall('b', 103), false, 'finished once');
      const progress = await store.tasks.recallProgress('b');
      assert.deepEqual(
        { total: progress.total, removed: progress.removed, open: progress.open },
        { total: 3, removed: 3, open: 0 },
      );
      await store.close();
    });

    it('an edit queues one task per editable copy behind the new version', async () => {
      const store = await factory.open();
      await plannedBroadcast(store, groupRooms(3), { content: { v: 1 } });
      const ds = await store.claimDeliveries('w', 1, 1000, 3);
      await store.markSent(ds[0]!.id, 'w', 'C0', 2, { version: 1, editable: true });
      await store.markSent(ds[1]!.id, 'w', 'C1', 2, { version: 1, editable: false });
      await store.markSent(ds[2]!.id, 'w', 'C2', 2, { version: 1, editable: true });
      assert.equal(await store.tasks.recordEdit('b', { v: 2 }, 3), 2);
      await store.tasks.sweepEdit('b', 4);
      await store.tasks.sweepEdit('b', 4);
      const tasks = await store.tasks.claim('t', 5, 1000, 10);
      assert.deepEqual(
        tasks.map((t) => [t.delivery_id, t.version]),
        [
          [ds[0]!.id, 2],
          [ds[2]!.id, 2],
        ],
      );
      await store.tasks.copyEdited(ds[0]!.id, 2, 6);
      await store.tasks.finish(tasks[0]!.id, 't', { status: 'done', result: 'edited' }, 6);
      await store.tasks.copyNotEditable(ds[2]!.id, 'edit_limit', 6);
      await store.tasks.finish(tasks[1]!.id, 't', { status: 'failed', error: '400 limit' }, 6);
      assert.equal(await store.tasks.sweepEdit('b', 7), true);
      const progress = await store.tasks.editProgress('b', 2);
      assert.equal(progress.edited, 1);
      assert.deepEqual(
        progress.notEdited.map((n) => n.reason),
        ['not_editable', 'edit_limit'],
      );
      await store.close();
    });

    it('leases a card update without counting an attempt, and again once the lease expired', async () => {
      const store = await factory.open();
      await plannedBroadcast(store, [{ roomId: 'X', roomType: 'group' }], { at: 5, status: 'previewed' });
      const card = await store.claimCardUpdate('c', 10, 1000);
      assert.deepEqual(
        [card?.id, card?.lease_owner, card?.lease_until, card?.attempts, card?.updated_at],
        ['b', 'c', 1010, 1, 5],
      );
      assert.equal(await store.claimCardUpdate('d', 20, 1000), undefined, 'lease held');
      const again = await store.claimCardUpdate('d', 1011, 1000);
      assert.equal(again?.lease_owner, 'd');
      await store.cardPosted('b', 'c', 1, 'LATE', 1012);
      assert.equal((await store.getBroadcast('b'))?.report_done, 0, 'a lost lease writes nothing');
      await store.cardPosted('b', 'd', 1, 'CARD', 1013);
      const row = await store.getBroadcast('b');
      assert.deepEqual([row?.report_done, row?.report_message_id, row?.lease_owner], [1, 'CARD', null]);
      assert.equal(await store.claimCardUpdate('e', 1014, 1000), undefined, 'card is up to date');
      await store.close();
    });

    it('a task whose holder is gone is claimed again, and the late finish is refused', async () => {
      const store = await factory.open();
      await plannedBroadcast(store, [{ roomId: 'X', roomType: 'group' }]);
      const [d] = await store.claimDeliveries('w', 1, 1000, 1);
      await store.markSent(d!.id, 'w', 'C', 2);
      await store.tasks.requestRecall('b', 'P', 3);
      const [task] = await store.tasks.claim('t', 4, 1000, 10);
      assert.deepEqual([task?.status, task?.attempts, task?.delivery_id], ['working', 1, d!.id]);
      assert.deepEqual(await store.tasks.claim('u', 1004, 1000, 10), [], 'lease held until 1004');
      const [again] = await store.tasks.claim('u', 1005, 1000, 10);
      assert.deepEqual([again?.id, again?.lease_owner, again?.attempts], [task!.id, 'u', 2]);
      assert.equal(
        await store.tasks.finish(task!.id, 't', { status: 'done', result: 'deleted' }, 1006),
        false,
      );
      assert.equal(
        await store.tasks.finish(task!.id, 'u', { status: 'done', result: 'deleted' }, 1006),
        true,
      );
      await store.close();
    });

    it('notices are recorded once per room and kind; direct rooms are remembered', async () => {
      const store = await factory.open();
      assert.equal(await store.noticeOnce('R', 'moderator_request', 1), true);
      assert.equal(await store.noticeOnce('R', 'moderator_request', 2), false);
      await store.rememberDirectRoom('P', 'D1');
      await store.rememberDirectRoom('P', 'D2');
      assert.equal(await store.directRoomOf('P'), 'D2');
      await store.close();
    });
  });
}

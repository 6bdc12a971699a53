import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { storeFactories } from './helpers.js';

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
      assert.deepEqual(await store.countDeliveries('b1'), { pending: 0, sending: 0, sent: 2, failed: 1 });
      assert.deepEqual(await store.completeFinishedBroadcasts(1500), ['b1']);
      assert.deepEqual(await store.completeFinishedBroadcasts(1501), [], 'only one completer wins');
      await store.close();
    });

    it('honours not_before when a delivery is retried later', async () => {
      const store = await factory.open();
      await store.createBroadcast(
        { id: 'b', sourceMessageId: 'M', sourceRoomId: 'R', senderId: 'P', request: {} },
        0,
      );
      await store.claimBroadcasts('received', 'me', 0, 1000, 1);
      await store.savePlan('b', 'me', {}, undefined, [{ roomId: 'X', roomType: 'direct' }], 0);
      const [d] = await store.claimDeliveries('w', 0, 1000, 1);
      await store.retryLater(d!.id, 'w', 5000, '429', 1);
      assert.deepEqual(await store.claimDeliveries('w', 4999, 1000, 1), []);
      assert.equal((await store.claimDeliveries('w', 5000, 1000, 1)).length, 1);
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

// The dispatcher's content cache over a real SQLite store: files are loaded once per broadcast, and
// the cache stays within its byte budget however large the files, keeping the newest entry.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ContentCache } from '../src/pipeline/dispatcher.js';
import type { Store } from '../src/store/store.js';
import { sqliteFactory } from './helpers.js';

const sqlite = sqliteFactory();

async function broadcastWithFile(store: Store, id: string, size: number): Promise<void> {
  await store.createBroadcast(
    { id, sourceMessageId: `M-${id}`, sourceRoomId: 'R', senderId: 'P', request: {} },
    0,
  );
  await store.claimBroadcasts('received', 'me', 1, 1000, 10);
  const file = { name: `${id}.bin`, contentType: 'application/octet-stream', bytes: Buffer.alloc(size, 7) };
  const content = { group: id, direct: id, file: { name: file.name, contentType: file.contentType } };
  assert.equal(await store.savePlan(id, 'me', content, file, [{ roomId: 'R1', roomType: 'group' }], 2), true);
}

describe('ContentCache', () => {
  after(() => sqlite.cleanup());

  it('holds at most its byte budget of files, always keeping the newest', async () => {
    const store = await sqlite.open();
    const MB = 1024 * 1024;
    for (const id of ['a', 'b', 'c']) await broadcastWithFile(store, id, 2 * MB);
    const cache = new ContentCache(store, { entries: 64, bytes: 5 * MB });
    assert.equal((await cache.get('a'))?.file?.bytes.length, 2 * MB);
    await cache.get('b');
    assert.deepEqual(cache.size, { entries: 2, bytes: 4 * MB });
    await cache.get('c');
    assert.deepEqual(cache.size, { entries: 2, bytes: 4 * MB }, 'the oldest file was dropped');
    // A file larger than the whole budget is still held while it is the newest.
    await broadcastWithFile(store, 'big', 6 * MB);
    assert.equal((await cache.get('big'))?.file?.bytes.length, 6 * MB);
    assert.deepEqual(cache.size, { entries: 1, bytes: 6 * MB });
    await store.close();
  });

  it('loads a broadcast once for many copies, and again after invalidate', async () => {
    const store = await sqlite.open();
    await broadcastWithFile(store, 'x', 10);
    let loads = 0;
    const counting = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'getBroadcast') loads++;
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const cache = new ContentCache(counting);
    const all = await Promise.all(Array.from({ length: 20 }, () => cache.get('x')));
    assert.ok(all.every((l) => l?.content.group === 'x'));
    assert.equal(loads, 1);
    cache.invalidate('x');
    assert.deepEqual(cache.size, { entries: 0, bytes: 0 });
    await cache.get('x');
    assert.equal(loads, 2);
    await store.close();
  });

  it('keeps at most its entry count', async () => {
    const store = await sqlite.open();
    for (let i = 0; i < 5; i++) await broadcastWithFile(store, `n${i}`, 1);
    const cache = new ContentCache(store, { entries: 3, bytes: 1024 });
    for (let i = 0; i < 5; i++) await cache.get(`n${i}`);
    assert.deepEqual(cache.size, { entries: 3, bytes: 3 });
    await store.close();
  });
});

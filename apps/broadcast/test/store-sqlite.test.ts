/**
 * The SQLite store's connection (store/sqlite-driver.ts): busy, its statements run in a worker
 * thread and the event loop goes on meanwhile; quiet again, they run on the event loop and the
 * thread ends. Results and errors come back as from better-sqlite3 either way, the log stays small
 * under steady writes, and a store left open does not hold the process.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { Store } from '../src/store/store.js';
import { groupRooms, plannedBroadcast } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function openStore(name: string): Promise<Store> {
  const store = new Store({ sqlitePath: join(dir, name) });
  await store.migrate();
  return store;
}

/**
 * Sixty small writes, a second's pause, sixty more: two seconds in a row of more than the fifty
 * statements that make the store busy (a single burst does not).
 */
async function makeBusy(store: Store, prefix: string): Promise<void> {
  for (let i = 0; i < 60; i++) await store.markSeen(`${prefix}-a${i}`, i);
  await new Promise((r) => setTimeout(r, 1050));
  for (let i = 0; i < 60; i++) await store.markSeen(`${prefix}-b${i}`, i);
}

/** How long one statement of a few hundred ms of SQLite's own work took, and the longest timer gap meanwhile. */
async function longStatement(store: Store): Promise<{ took: number; longestGap: number }> {
  let last = performance.now();
  let longestGap = 0;
  const ticks = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  }, 5);
  const t = performance.now();
  const r = await sql<{ n: number }>`with recursive c(x) as (select 1 union all select x + 1 from c
    where x < 3000000) select count(*) as n from c`.execute(store.db);
  const took = performance.now() - t;
  clearInterval(ticks);
  const now = performance.now();
  longestGap = Math.max(longestGap, now - last);
  assert.equal(r.rows[0]?.n, 3_000_000);
  assert.ok(took > 150, `the statement took ${took.toFixed(0)} ms: too short to show anything`);
  return { took, longestGap };
}

/** Blobs, SQLite's error codes, a rolled-back transaction and update counts, with ids under `p`. */
async function checkValues(store: Store, p: string): Promise<void> {
  const bytes = Buffer.from([0, 1, 2, 250, 255]);
  const file = (id: string, name: string) => ({
    broadcast_id: id,
    name,
    content_type: 'application/octet-stream',
    bytes,
  });
  await store.db
    .insertInto('files')
    .values(file(`${p}1`, 'a.bin'))
    .execute();
  const row = await store.db
    .selectFrom('files')
    .selectAll()
    .where('broadcast_id', '=', `${p}1`)
    .executeTakeFirstOrThrow();
  assert.ok(Buffer.isBuffer(row.bytes), 'a Buffer');
  assert.deepEqual([...(row.bytes as Buffer)], [...bytes]);

  await assert.rejects(
    store.db
      .insertInto('files')
      .values(file(`${p}1`, 'b.bin'))
      .execute(),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'SQLITE_CONSTRAINT_PRIMARYKEY');
      assert.match(err.message, /UNIQUE constraint failed: files\.broadcast_id/);
      return true;
    },
  );

  const failing = store.db.transaction().execute(async (tx) => {
    await tx
      .insertInto('files')
      .values(file(`${p}2`, 'c.bin'))
      .execute();
    throw new Error('stop');
  });
  await assert.rejects(failing, /stop/);
  const left = await store.db
    .selectFrom('files')
    .select('broadcast_id')
    .where('broadcast_id', 'like', `${p}%`)
    .execute();
  assert.deepEqual(
    left.map((r) => r.broadcast_id),
    [`${p}1`],
  );
  const updated = await store.db
    .updateTable('files')
    .set({ name: 'renamed.bin' })
    .where('broadcast_id', '=', `${p}1`)
    .executeTakeFirst();
  assert.equal(updated.numUpdatedRows, 1n);
}

describe('SQLite store connection', () => {
  it('a burst stays on the event loop; busy for two seconds, a long statement leaves it turning; quiet again, the thread ends', async () => {
    const store = await openStore('busy.sqlite');
    try {
      // A burst within one second does not count, neither the migrations' at start nor 200 writes.
      for (let i = 0; i < 200; i++) await store.markSeen(`burst-${i}`, i);
      const opened = await longStatement(store);
      assert.ok(opened.longestGap > opened.took / 2, 'after a burst, statements still run on the event loop');
      await makeBusy(store, 'warm');
      const busy = await longStatement(store);
      // On the event loop the gap would be the whole statement.
      assert.ok(
        busy.longestGap < busy.took / 2,
        `busy: timers stopped for ${busy.longestGap.toFixed(0)} ms during a ${busy.took.toFixed(0)} ms statement`,
      );
      // Two seconds without a statement (and the check that notices it): the event loop's connection again.
      await new Promise((r) => setTimeout(r, 3000));
      const quiet = await longStatement(store);
      assert.ok(
        quiet.longestGap > quiet.took / 2,
        `quiet: timers ran every ${quiet.longestGap.toFixed(0)} ms during a ${quiet.took.toFixed(0)} ms statement, as if a thread still ran it`,
      );
    } finally {
      await store.close();
    }
  });

  it('a plan of more than one chunk moves the store to the thread before its first row; a small one does not', async () => {
    const store = await openStore('plan.sqlite');
    try {
      // 250 rows (one chunk): planned on the event loop, which a long statement then holds.
      assert.equal(await plannedBroadcast(store, groupRooms(250), { id: 'small' }), true);
      const small = await longStatement(store);
      assert.ok(
        small.longestGap > small.took / 2,
        'after a one-chunk plan, statements still run on the event loop',
      );
      // 2,000 rows: every chunk off the event loop, without two busy seconds first.
      assert.equal(await plannedBroadcast(store, groupRooms(2000), { id: 'large' }), true);
      const large = await longStatement(store);
      assert.ok(
        large.longestGap < large.took / 2,
        `after a large plan: timers stopped for ${large.longestGap.toFixed(0)} ms during a ${large.took.toFixed(0)} ms statement`,
      );
      assert.equal((await store.countDeliveries('large')).pending, 2000);
    } finally {
      await store.close();
    }
  });

  it('blobs come back as Buffers, errors carry SQLite’s code, a failed transaction leaves nothing, on either connection', async () => {
    const store = await openStore('values.sqlite');
    try {
      await checkValues(store, 'quiet');
      await makeBusy(store, 'warm');
      await checkValues(store, 'busy');
    } finally {
      await store.close();
    }
  });

  it('the log stays a fraction of its size without checkpoints under steady small commits', async () => {
    /** 3,000 small commits, 30 a turn of the event loop with 10 ms between turns. */
    async function steadyWrites(write: (i: number) => unknown): Promise<void> {
      for (let i = 0; i < 3000; i++) {
        await write(i);
        if (i % 30 === 29) await new Promise((r) => setTimeout(r, 10));
      }
    }
    const walBytes = (path: string) => statSync(`${path}-wal`).size;
    // The same writes on a plain connection with checkpoints off: how large the log grows.
    const plainPath = join(dir, 'plain.sqlite');
    const plain = new SQLite(plainPath);
    plain.pragma('journal_mode = WAL');
    plain.pragma('wal_autocheckpoint = 0');
    plain.exec('create table seen_events (key text primary key, created_at integer not null)');
    const insert = plain.prepare('insert into seen_events (key, created_at) values (?, ?)');
    await steadyWrites((i) => insert.run(`event-${i}`, i));
    const unchecked = walBytes(plainPath);
    plain.close();

    const path = join(dir, 'steady.sqlite');
    const store = new Store({ sqlitePath: path });
    try {
      await store.migrate();
      await steadyWrites((i) => store.markSeen(`event-${i}`, i));
      const checked = walBytes(path);
      assert.ok(
        checked * 4 < unchecked,
        `the log is ${checked} bytes, ${unchecked} bytes without checkpoints`,
      );
      // Every write is in place for a reader of the file.
      const reader = new SQLite(path, { readonly: true });
      try {
        const row = reader.prepare('select count(*) as n from seen_events').get() as { n: number };
        assert.equal(row.n, 3000);
      } finally {
        reader.close();
      }
    } finally {
      await store.close();
    }
  });

  it('a busy store that is never closed does not keep the process alive', () => {
    const script = join(dir, 'left-open.mts');
    const storeUrl = pathToFileURL(join(import.meta.dirname, '../src/store/store.ts')).href;
    writeFileSync(
      script,
      `import { Store } from ${JSON.stringify(storeUrl)};
const store = new Store({ sqlitePath: ${JSON.stringify(join(dir, 'open.sqlite'))} });
await store.migrate();
// Busy (two seconds in a row of writes): the worker thread runs when the script ends.
for (let i = 0; i < 60; i++) await store.markSeen('a' + i, i);
await new Promise((r) => setTimeout(r, 1050));
for (let i = 0; i < 60; i++) await store.markSeen('b' + i, i);
const written = performance.now();
process.on('exit', () => console.log('written, exit after ' + Math.round(performance.now() - written) + ' ms'));
`,
    );
    const r = spawnSync(process.execPath, ['--import', 'tsx', script], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.signal, null, 'ended by itself, not by the timeout');
    assert.equal(r.status, 0, r.stderr);
    // At once, not when the idle thread is closed two seconds later.
    const after = Number(/exit after (\d+) ms/.exec(r.stdout)?.[1] ?? Number.NaN);
    assert.ok(after < 1000, `the process ended ${after} ms after its last write`);
  });
});

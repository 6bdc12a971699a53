/**
 * SQLite checkpoints run in a worker thread, not in the commit that fills the log (checkpointer.ts):
 * the bot's connection never checkpoints, and yet the log stays small under steady writes, because
 * each checkpoint copies the whole log and the next write starts it again.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { Store } from '../src/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-checkpoint-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 3,000 small commits, 30 a turn of the event loop with 10 ms between turns (about a second). */
async function steadyWrites(write: (i: number) => unknown): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    await write(i);
    if (i % 30 === 29) await new Promise((r) => setTimeout(r, 10));
  }
}

const walBytes = (path: string) => statSync(`${path}-wal`).size;

describe('SQLite checkpoints', () => {
  it('the connection never checkpoints itself, and the log stays a fraction of its size without checkpoints', async () => {
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

    const path = join(dir, 'store.sqlite');
    const store = new Store({ sqlitePath: path });
    try {
      await store.migrate();
      await steadyWrites((i) => store.markSeen(`event-${i}`, i));
      await new Promise((r) => setTimeout(r, 400));
      const checked = walBytes(path);
      assert.ok(
        checked * 4 < unchecked,
        `the log is ${checked} bytes with the worker, ${unchecked} bytes without checkpoints`,
      );
      // Every write is in place for a reader of the file.
      const reader = new SQLite(path, { readonly: true });
      try {
        const row = reader.prepare('select count(*) as n from seen_events').get() as { n: number };
        assert.equal(row.n, 3000);
      } finally {
        reader.close();
      }
      const own = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(store.db);
      assert.equal(own.rows[0]?.wal_autocheckpoint, 0, 'the bot connection does not checkpoint');
    } finally {
      await store.close();
    }
  });
});

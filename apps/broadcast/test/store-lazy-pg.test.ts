/**
 * A bot on SQLite does not load the PostgreSQL driver: `pg` costs several MB of idle memory, and
 * `herald start` on SQLite is held to 100 MB (bench: `npm run bench -- start`). The store and its
 * work signal load `pg` only when a connection string is given.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { Store } from '../src/store/store.js';

const loaded = () =>
  Object.keys(createRequire(import.meta.url).cache).filter((k) => /[\\/]node_modules[\\/]pg[\\/]/.test(k));

describe('store on SQLite', () => {
  it('migrates, announces and listens for work without loading pg', async () => {
    const store = new Store({ sqlitePath: ':memory:' });
    await store.migrate();
    await store.signal.subscribe(() => {});
    await store.signal.announce();
    assert.equal(await store.isIdle(), true);
    await store.close();
    assert.deepEqual(loaded(), [], 'pg was loaded for a SQLite store');
  });
});

/**
 * On PostgreSQL each connection prepares a statement text once and runs it by name afterwards
 * (connection.ts `preparing`): the server parses and plans a copy's statement once, not per copy.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { Store } from '../src/store/store.js';

const url = process.env.DATABASE_URL;
const skip = url ? false : 'DATABASE_URL is not set (PostgreSQL tests skipped)';

describe('PostgreSQL prepared statements', { skip }, () => {
  it('a statement run twice on one connection is prepared once, under one name; DDL is not', async () => {
    const schema = `prepared_${process.pid}`;
    const store = new Store({ databaseUrl: url, schema });
    try {
      await store.migrate();
      const prepared = await store.db.connection().execute(async (db) => {
        for (const key of ['a', 'b', 'c']) {
          await db.insertInto('seen_events').values({ key, created_at: 1 }).execute();
        }
        await sql`create table if not exists ${sql.id(schema, 'scratch')} (n integer)`.execute(db);
        const r = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db);
        return r.rows.map((row) => row.statement);
      });
      const inserts = prepared.filter((s) => s.startsWith('insert into "seen_events"'));
      assert.equal(inserts.length, 1, `one prepared insert for three runs: ${JSON.stringify(prepared)}`);
      assert.ok(!prepared.some((s) => /^create/i.test(s)), 'DDL runs unnamed');
      assert.equal(
        Number(
          (await sql<{ n: string }>`select count(*) as n from seen_events`.execute(store.db)).rows[0]?.n,
        ),
        3,
      );
    } finally {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
      await store.close();
    }
  });
});

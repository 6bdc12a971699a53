/**
 * Opening the database and bringing its schema up to date: kysely over SQLite (better-sqlite3, a
 * file; the default) or PostgreSQL (pg, when a connection string is given).
 */
import { createRequire } from 'node:module';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, type PostgresPool, type PostgresPoolClient, sql } from 'kysely';
import type PG from 'pg';
import type { StoreContext } from './context.js';
import { StaticMigrations } from './migrations.js';
import type { Database } from './schema.js';
import { sqliteDialect } from './sqlite-driver.js';
import { SQLITE_PRAGMAS } from './sqlite-thread.js';

export interface StoreOptions {
  /** PostgreSQL connection string; without it SQLite at `sqlitePath`. */
  databaseUrl?: string | undefined;
  /** SQLite file (or ':memory:'). */
  sqlitePath?: string | undefined;
  /** PostgreSQL schema to use (created if missing); default `public`. Tests use one each. */
  schema?: string | undefined;
}

/** Migration tries when a concurrent DROP elsewhere in the database races kysely's catalog read. */
const MIGRATE_ATTEMPTS = 5;

export interface Connection extends StoreContext {
  /** The PostgreSQL schema, when one was named. */
  readonly schema: string | undefined;
  /** The PostgreSQL connection string (the work signal listens on a connection of its own). */
  readonly databaseUrl?: string | undefined;
}

export function connect(options: StoreOptions): Connection {
  if (options.databaseUrl) {
    const schema = options.schema;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
      throw new Error('invalid schema name');
    // Loaded only for PostgreSQL: a bot on SQLite does not carry pg in memory.
    const pg = createRequire(import.meta.url)('pg') as typeof PG;
    const pool = (max: number, settings: string[]) =>
      new pg.Pool({
        connectionString: options.databaseUrl,
        max,
        ...(settings.length > 0 ? { options: settings.map((s) => `-c ${s}`).join(' ') } : {}),
        // bigint columns hold millisecond times: read them as numbers.
        types: {
          getTypeParser: ((oid: number, format?: string) =>
            oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as never,
        },
      });
    const path = schema ? [`search_path=${schema}`] : [];
    const kysely = (p: PG.Pool) =>
      new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparing(p) }) });
    return {
      dialect: 'postgres',
      schema,
      databaseUrl: options.databaseUrl,
      db: kysely(pool(5, path)),
      // Sent copies are recorded on a connection of their own (one statement at a time, deliveries.ts
      // `SentMarks`), committed without waiting for the server's disk: a commit is then a fraction
      // of the cost of a copy, and the worker waiting for it is not held up by the disk. A crash of
      // the bot loses none of them (the server has them); a crash of the server may lose its last
      // fraction of a second (`wal_writer_delay`, three times over at most), and those copies are
      // sent again, as after a crash of the bot mid-send. Everything else commits as configured.
      marksDb: kysely(pool(1, [...path, 'synchronous_commit=off'])),
    };
  }
  const path = options.sqlitePath ?? './herald.sqlite';
  const file = new SQLite(path);
  for (const pragma of SQLITE_PRAGMAS) file.pragma(pragma);
  file.defaultSafeIntegers(false);
  // While the store is busy, its statements run in a worker thread (sqlite-driver.ts): a commit
  // waiting for the disk holds the store, not the event loop.
  const dialect = sqliteDialect({
    path,
    file,
    module: createRequire(import.meta.url).resolve('better-sqlite3'),
  });
  return {
    dialect: 'sqlite',
    schema: undefined,
    db: new Kysely<Database>({ dialect }),
    expectBusy: () => dialect.expectBusy(),
  };
}

/** Statements each PostgreSQL connection keeps prepared at most; past that, the rest run unnamed. */
const PREPARED_PER_CONNECTION = 200;
/** Statements that may be prepared (not DDL, not transaction control). */
const PREPARABLE = /^\s*(select|insert|update|delete|with)\b/i;

/**
 * The pool as kysely's PostgreSQL driver sees it, each connection preparing a statement text once
 * under a name and running it by that name afterwards: the server parses and plans a statement
 * once per connection, not once per copy. The names of a connection are its own (pg keeps
 * them per client), and the texts are kysely's, with their parameters apart.
 */
function preparing(pool: PG.Pool): PostgresPool {
  const clients = new WeakMap<PG.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapped = clients.get(client);
      if (!wrapped) {
        const names = new Map<string, string>();
        const query = (text: string, values: readonly unknown[]) => {
          let name = names.get(text);
          if (name === undefined && names.size < PREPARED_PER_CONNECTION && PREPARABLE.test(text)) {
            name = `herald_${names.size + 1}`;
            names.set(text, name);
          }
          return client.query({ text, values: [...values], ...(name ? { name } : {}) });
        };
        wrapped = { query, release: () => client.release() } as unknown as PostgresPoolClient;
        clients.set(client, wrapped);
      }
      return wrapped;
    },
    end: () => pool.end(),
  };
}

export async function migrate(conn: Connection): Promise<void> {
  const { db, schema, dialect } = conn;
  if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  const migrator = new Migrator({
    db,
    provider: new StaticMigrations(dialect),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  // kysely's Migrator first reads the catalog of every schema in the database; a schema or table
  // that someone else drops meanwhile (tests drop theirs, other apps may share the database)
  // fails that read (3F000, 42P01) though nothing of ours changed. Migrations run in a
  // transaction on PostgreSQL, so trying again shortly after is safe.
  for (let attempt = 1; ; attempt++) {
    const { error } = await migrator.migrateToLatest();
    if (!error) return;
    const code = (error as { code?: unknown }).code;
    const raced = dialect === 'postgres' && (code === '3F000' || code === '42P01');
    if (!raced || attempt >= MIGRATE_ATTEMPTS) throw error;
    await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
  }
}

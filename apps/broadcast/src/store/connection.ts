/**
 * Opening the database and bringing its schema up to date: kysely over SQLite (better-sqlite3, a
 * file; the default) or PostgreSQL (pg, when a connection string is given).
 */
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { StoreContext } from './context.js';
import { StaticMigrations } from './migrations.js';
import type { Database } from './schema.js';

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
}

export function connect(options: StoreOptions): Connection {
  if (options.databaseUrl) {
    const schema = options.schema;
    if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
      throw new Error('invalid schema name');
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: 5,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
      // bigint columns hold millisecond times: read them as numbers.
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as never,
      },
    });
    return {
      dialect: 'postgres',
      schema,
      db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }),
    };
  }
  const file = new SQLite(options.sqlitePath ?? './herald.sqlite');
  file.pragma('journal_mode = WAL');
  file.pragma('busy_timeout = 5000');
  file.defaultSafeIntegers(false);
  return {
    dialect: 'sqlite',
    schema: undefined,
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database: file }) }),
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

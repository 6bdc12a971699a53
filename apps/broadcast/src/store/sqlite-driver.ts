/**
 * The SQLite connection, on the event loop while the store is quiet and in a worker thread while
 * it is busy.
 *
 * better-sqlite3 is synchronous, and on the event loop a single commit could hold the bot for 30
 * to 110 ms now and then: its write() waits for the file system (a journal commit of ext4, a
 * checkpoint's fsync), and the whole process waits with it. Once the store has run at least
 * `BUSY_STATEMENTS` statements in each of two seconds in a row (a broadcast under way; a burst
 * such as the migrations at start or a small broadcast does not count), the statements go to a
 * worker thread with a connection of
 * its own: only the store waits for the disk, and webhooks are answered and copies sent
 * meanwhile. SQLite checkpoints as it does by default, inside the commit that fills the log, on
 * whichever connection made that commit; with the connections used one at a time, every
 * checkpoint copies the whole log, so the log starts again from its beginning and stays small.
 * Quiet for `QUIET_MS`, the worker's connection closes and its thread ends: an idle bot holds no
 * thread (one costs about 11 MB).
 *
 * One connection at a time, one statement at a time (kysely's SQLite driver works the same way):
 * a query waits for the connection, a transaction holds it, and the switch happens between them.
 * Each connection prepares each SQL text once. The thread is sqlite-thread.ts.
 */
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';
import { type Reply, SqliteThread, STATEMENT_CACHE, sqliteError, withBuffers } from './sqlite-thread.js';

/** What the driver uses of a better-sqlite3 statement (kept structural: the published types do not need better-sqlite3's). */
interface SqliteStatement {
  readonly reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
}

/** What the driver uses of a better-sqlite3 database. */
export interface SqliteFile {
  prepare(sql: string): SqliteStatement;
  close(): void;
}

export interface SqliteOptions {
  /** The database file; ':memory:' (or '') stays on the event loop, a thread cannot share it. */
  path: string;
  /** The event loop's connection, opened with the store's pragmas (connection.ts). */
  file: SqliteFile;
  /** Where better-sqlite3 is (`require.resolve`), for the worker. */
  module: string;
}

/** Statements within one second that move the store to the worker thread. */
const BUSY_STATEMENTS = 50;
/** How long the worker stays after the store's last statement, ms. */
const QUIET_MS = 2000;

/** What a statement gave: the thread's reply without its id. */
type Result = Omit<Reply, 'id'>;

/** A connection as kysely's driver runs it: rows for statements that return rows, else the changes. */
abstract class Connection implements DatabaseConnection {
  constructor(private readonly counted: () => void) {}

  protected abstract run(sql: string, params: readonly unknown[]): Promise<Result>;

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    this.counted();
    const reply = await this.run(compiled.sql, compiled.parameters);
    if (reply.error) throw sqliteError(reply.error);
    if (reply.rows) return { rows: reply.rows as R[] };
    return {
      rows: [],
      numAffectedRows: BigInt(reply.changes ?? 0),
      ...(reply.lastInsertRowid !== undefined ? { insertId: BigInt(reply.lastInsertRowid) } : {}),
    };
  }

  async *streamQuery<R>(compiled: CompiledQuery): AsyncIterableIterator<QueryResult<R>> {
    const { rows } = await this.executeQuery<R>(compiled);
    for (const row of rows) yield { rows: [row] };
  }
}

/** The event loop's connection: each SQL text prepared once. */
class MainConnection extends Connection {
  private readonly cache = new Map<string, SqliteStatement>();

  constructor(
    private readonly file: SqliteFile,
    counted: () => void,
  ) {
    super(counted);
  }

  protected async run(sql: string, params: readonly unknown[]): Promise<Result> {
    let statement = this.cache.get(sql);
    if (statement) this.cache.delete(sql);
    else statement = this.file.prepare(sql);
    this.cache.set(sql, statement);
    if (this.cache.size > STATEMENT_CACHE) this.cache.delete(this.cache.keys().next().value as string);
    if (statement.reader) return { rows: statement.all(params) as Record<string, unknown>[] };
    const r = statement.run(params);
    return { changes: r.changes, lastInsertRowid: r.lastInsertRowid };
  }

  close(): void {
    this.file.close();
  }
}

/** The worker's connection: each statement a message to the thread. */
class WorkerConnection extends Connection {
  constructor(
    private readonly thread: SqliteThread,
    counted: () => void,
  ) {
    super(counted);
  }

  protected async run(sql: string, params: readonly unknown[]): Promise<Result> {
    const reply = await this.thread.ask({ sql, params });
    reply.rows?.forEach(withBuffers);
    return reply;
  }
}

class HybridDriver implements Driver {
  private readonly main: MainConnection;
  /** None for a database in memory, which a second connection would not see. */
  private readonly worker: { thread: SqliteThread; connection: WorkerConnection } | undefined;
  /** Statements go to the worker. */
  private busy = false;
  private windowStart = 0;
  private windowStatements = 0;
  /** The window before the current one held `BUSY_STATEMENTS` or more. */
  private lastWindowBusy = false;
  private lastStatementAt = 0;
  private quietCheck: NodeJS.Timeout | undefined;
  /** The connection's holder: the next waits for its release. */
  private held: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  constructor(options: SqliteOptions) {
    const counted = () => this.counted();
    this.main = new MainConnection(options.file, counted);
    const inMemory = options.path === '' || options.path === ':memory:';
    if (!inMemory) {
      const thread = new SqliteThread({ path: options.path, module: options.module });
      this.worker = { thread, connection: new WorkerConnection(thread, counted) };
    }
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    await this.lock();
    return this.busy && this.worker ? this.worker.connection : this.main;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async releaseConnection(): Promise<void> {
    this.unlock();
  }

  async destroy(): Promise<void> {
    clearInterval(this.quietCheck);
    await this.lock();
    try {
      await this.worker?.thread.close();
      this.main.close();
    } finally {
      this.unlock();
    }
  }

  private async lock(): Promise<void> {
    const previous = this.held;
    let release!: () => void;
    this.held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    this.release = release;
  }

  private unlock(): void {
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  /** A statement ran: busy once a second of `BUSY_STATEMENTS` or more follows another. */
  private counted(): void {
    if (!this.worker) return;
    const now = Date.now();
    this.lastStatementAt = now;
    if (this.busy) return;
    if (now - this.windowStart >= 1000) {
      // A window ended; one that ended more than a window ago was followed by a quiet one.
      this.lastWindowBusy = now - this.windowStart < 2000 && this.windowStatements >= BUSY_STATEMENTS;
      this.windowStart = now;
      this.windowStatements = 0;
    }
    if (++this.windowStatements < BUSY_STATEMENTS || !this.lastWindowBusy) return;
    this.goBusy();
  }

  /**
   * Busy before the statements come: planning a large broadcast writes for a second or more at
   * once, and its first commits on the event loop held the bot up to 110 ms waiting for the disk
   * before two busy seconds had passed. From the next statement on (one in flight finishes where
   * it is), the worker runs them; quiet for `QUIET_MS`, the store comes back as usual.
   */
  expectBusy(): void {
    if (!this.worker || this.busy) return;
    this.lastStatementAt = Date.now();
    this.goBusy();
  }

  private goBusy(): void {
    this.busy = true;
    this.quietCheck = setInterval(() => void this.quietened(), QUIET_MS / 4);
    this.quietCheck.unref();
  }

  /** Quiet for `QUIET_MS`: back to the event loop's connection, and the thread ends. */
  private async quietened(): Promise<void> {
    if (Date.now() - this.lastStatementAt < QUIET_MS) return;
    clearInterval(this.quietCheck);
    this.quietCheck = undefined;
    await this.lock();
    try {
      this.busy = false;
      this.windowStatements = 0;
      this.lastWindowBusy = false;
      await this.worker?.thread.close();
    } finally {
      this.unlock();
    }
  }
}

/** The SQLite dialect of `sqliteDialect`, which can be told that the store is about to be busy. */
export interface HybridDialect extends Dialect {
  /** A long write is coming (a plan of thousands of copies): to the worker thread now (`HybridDriver.expectBusy`). */
  expectBusy(): void;
}

/** kysely's SQLite dialect, with the connection moving to a worker thread while the store is busy. */
export function sqliteDialect(options: SqliteOptions): HybridDialect {
  let driver: HybridDriver | undefined;
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => {
      driver = new HybridDriver(options);
      return driver;
    },
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
    expectBusy: () => driver?.expectBusy(),
  };
}

/**
 * The SQLite connection, on the event loop while the store is quiet and in a worker thread while
 * it is busy.
 *
 * better-sqlite3 is synchronous, and on the event loop a single commit could hold the bot for 30
 * to 110 ms now and then: its write() waits for the file system (a journal commit of ext4, a
 * checkpoint's fsync), and the whole process waits with it. From `BUSY_STATEMENTS` statements in a
 * second on (a broadcast under way), the statements go to a worker thread with a connection of
 * its own: only the store waits for the disk, and webhooks are answered and copies sent
 * meanwhile. SQLite checkpoints as it does by default, inside the commit that fills the log, on
 * whichever connection made that commit; with the connections used one at a time, every
 * checkpoint copies the whole log, so the log starts again from its beginning and stays small.
 * Quiet for `QUIET_MS`, the worker's connection closes and its thread ends: an idle bot holds no
 * thread (one costs about 11 MB).
 *
 * One connection at a time, one statement at a time (kysely's SQLite driver works the same way):
 * a query waits for the connection, a transaction holds it, and the switch happens between them.
 * Each connection prepares each SQL text once. The thread holds the process open only while a
 * query waits for it (a store never closed does not keep the process alive), and a thread that
 * dies answers its waiting queries with the error; the next query starts another.
 */
import { Worker } from 'node:worker_threads';
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

/**
 * The worker (CommonJS, run with `eval`): opens the file with the store's settings, then answers
 * `{ id, sql, params }` with rows (statements that return rows) or the changes, or an error.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.module);
let db;
let openError;
try {
  db = new SQLite(workerData.path);
  db.pragma('journal_mode = WAL');
  // In WAL mode NORMAL syncs at checkpoints, not at every commit: a crash of the process loses
  // nothing committed, only a power cut may lose the last commits (https://sqlite.org/pragma.html#pragma_synchronous).
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.defaultSafeIntegers(false);
} catch (err) {
  openError = err;
}
const cache = new Map();
function prepared(text) {
  let statement = cache.get(text);
  if (statement) cache.delete(text);
  else statement = db.prepare(text);
  cache.set(text, statement);
  if (cache.size > workerData.statements) cache.delete(cache.keys().next().value);
  return statement;
}
const bytes = (v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v);
const failure = (id, err) => ({ id, error: { message: String((err && err.message) || err), code: err && err.code, name: err && err.name } });
parentPort.on('message', (m) => {
  if (m.close) {
    try { db && db.close(); } catch {}
    parentPort.postMessage({ id: m.id, rows: [] });
    parentPort.close();
    return;
  }
  if (openError) return parentPort.postMessage(failure(m.id, openError));
  try {
    const statement = prepared(m.sql);
    const params = m.params.map(bytes);
    if (statement.reader) parentPort.postMessage({ id: m.id, rows: statement.all(params) });
    else {
      const r = statement.run(params);
      parentPort.postMessage({ id: m.id, changes: r.changes, lastInsertRowid: r.lastInsertRowid });
    }
  } catch (err) {
    parentPort.postMessage(failure(m.id, err));
  }
});
`;

/** Prepared statements the worker keeps per SQL text (least recently used dropped past this many). */
const STATEMENT_CACHE = 200;

interface Reply {
  id: number;
  rows?: Record<string, unknown>[];
  changes?: number;
  lastInsertRowid?: number | bigint;
  error?: { message: string; code?: string; name?: string };
}

type Waiting = { resolve: (reply: Reply) => void; reject: (err: unknown) => void };

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

/** The thread and its messages: one request, one reply, matched by id. */
class SqliteThread {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;

  constructor(private readonly options: { path: string; module: string }) {}

  ask(message: { sql: string; params: readonly unknown[] } | { close: true }): Promise<Reply> {
    const worker = this.start();
    const id = this.nextId++;
    return new Promise<Reply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      if (this.waiting.size === 1) worker.ref();
      worker.postMessage({ ...message, id });
    });
  }

  /** Close the connection and let the thread end (nothing to do if none runs). */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    await this.ask({ close: true });
    // Its last reply let go of the process; the thread's end must still be waited for.
    worker.ref();
    await exited;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path: this.options.path, module: this.options.module, statements: STATEMENT_CACHE },
    });
    worker.on('message', (reply: Reply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      w.resolve(reply);
    });
    const lost = (err: unknown) => {
      if (this.worker === worker) this.worker = undefined;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`SQLite worker exited (${code})`)));
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

/** An error of SQLite's as the worker saw it, with its code (`SQLITE_CONSTRAINT_UNIQUE`, …). */
function sqliteError(e: NonNullable<Reply['error']>): Error {
  const err = new Error(e.message) as Error & { code?: string };
  if (e.name) err.name = e.name;
  if (e.code) err.code = e.code;
  return err;
}

/** Blobs come back as Uint8Array from the thread: callers get Buffers, as from better-sqlite3. */
function withBuffers(row: Record<string, unknown>): Record<string, unknown> {
  for (const key in row) {
    const v = row[key];
    if (v instanceof Uint8Array && !Buffer.isBuffer(v))
      row[key] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
  return row;
}

/** A connection as kysely's driver runs it: rows for statements that return rows, else the changes. */
abstract class Connection implements DatabaseConnection {
  constructor(private readonly counted: () => void) {}

  protected abstract run(sql: string, params: readonly unknown[]): Promise<Reply>;

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

  protected async run(sql: string, params: readonly unknown[]): Promise<Reply> {
    let statement = this.cache.get(sql);
    if (statement) this.cache.delete(sql);
    else statement = this.file.prepare(sql);
    this.cache.set(sql, statement);
    if (this.cache.size > STATEMENT_CACHE) this.cache.delete(this.cache.keys().next().value as string);
    if (statement.reader) return { id: 0, rows: statement.all(params) as Record<string, unknown>[] };
    const r = statement.run(params);
    return { id: 0, changes: r.changes, lastInsertRowid: r.lastInsertRowid };
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

  protected async run(sql: string, params: readonly unknown[]): Promise<Reply> {
    const reply = await this.thread.ask({ sql, params });
    reply.rows?.forEach(withBuffers);
    return reply;
  }
}

/** What the store may ask of the driver beyond kysely's calls. */
export interface SqliteControl {
  /** Run `fn` without its statements counting toward busy (migrations at start are a burst, not a load). */
  uncounted<T>(fn: () => Promise<T>): Promise<T>;
}

class HybridDriver implements Driver, SqliteControl {
  private readonly main: MainConnection;
  /** None for a database in memory, which a second connection would not see. */
  private readonly worker: { thread: SqliteThread; connection: WorkerConnection } | undefined;
  /** Statements go to the worker. */
  private busy = false;
  private windowStart = 0;
  private windowStatements = 0;
  private lastStatementAt = 0;
  private counting = true;
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

  async uncounted<T>(fn: () => Promise<T>): Promise<T> {
    this.counting = false;
    try {
      return await fn();
    } finally {
      this.counting = true;
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

  /** A statement ran: busy from `BUSY_STATEMENTS` in a second on. */
  private counted(): void {
    if (!this.worker || !this.counting) return;
    const now = Date.now();
    this.lastStatementAt = now;
    if (this.busy) return;
    if (now - this.windowStart > 1000) {
      this.windowStart = now;
      this.windowStatements = 0;
    }
    if (++this.windowStatements < BUSY_STATEMENTS) return;
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
      await this.worker?.thread.close();
    } finally {
      this.unlock();
    }
  }
}

/**
 * kysely's SQLite dialect, with the connection moving to a worker thread while the store is busy,
 * and the driver's own controls.
 */
export function sqliteDialect(options: SqliteOptions): { dialect: Dialect; control: SqliteControl } {
  const driver = new HybridDriver(options);
  return {
    dialect: {
      createAdapter: () => new SqliteAdapter(),
      createDriver: () => driver,
      createQueryCompiler: () => new SqliteQueryCompiler(),
      createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
    },
    control: driver,
  };
}

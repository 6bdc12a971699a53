/**
 * SQLite off the event loop: the store's one SQLite connection (better-sqlite3, which is
 * synchronous) lives in a worker thread, and kysely's queries go to it as messages.
 *
 * On the event loop, a single commit could hold the bot for 30 to 110 ms: the write() of a commit
 * waits for the file system now and then (a journal commit of ext4, a checkpoint's fsync), and
 * with a synchronous driver the whole process waits with it. In the worker, only the store waits;
 * webhooks are answered and sends go out meanwhile. SQLite checkpoints as it does by default,
 * inside the commit that fills the log, now on the worker's thread; with one connection and no
 * reader in another, every checkpoint copies the whole log, so the log starts again from its
 * beginning and stays small.
 *
 * One connection, one statement at a time (kysely's SQLite driver works the same way): a query
 * waits for the connection, a transaction holds it. The worker prepares each SQL text once.
 * It holds the process open only while a query waits for it (a store never closed does not keep
 * the process alive, as a synchronous connection did not), and a worker that dies answers its
 * waiting queries with the error; the next query starts another.
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

export interface SqliteWorkerOptions {
  /** The database file (or ':memory:', which lasts as long as one worker). */
  path: string;
  /** Where better-sqlite3 is (`require.resolve`), for the worker. */
  module: string;
}

/** The thread and its messages: one request, one reply, matched by id. */
class SqliteThread {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;

  constructor(private readonly options: SqliteWorkerOptions) {}

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

class WorkerConnection implements DatabaseConnection {
  constructor(private readonly thread: SqliteThread) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const reply = await this.thread.ask({ sql: compiled.sql, params: compiled.parameters });
    if (reply.error) throw sqliteError(reply.error);
    if (reply.rows) return { rows: reply.rows.map(withBuffers) as R[] };
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

class WorkerDriver implements Driver {
  private readonly connection: WorkerConnection;
  /** The one connection's holder: the next waits for its release. */
  private held: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  constructor(private readonly thread: SqliteThread) {
    this.connection = new WorkerConnection(thread);
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.held;
    let release!: () => void;
    this.held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    this.release = release;
    return this.connection;
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
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  async destroy(): Promise<void> {
    await this.thread.close();
  }
}

/** kysely's SQLite dialect, with the connection in a worker thread. */
export function sqliteWorkerDialect(options: SqliteWorkerOptions): Dialect {
  const thread = new SqliteThread(options);
  return {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new WorkerDriver(thread),
    createQueryCompiler: () => new SqliteQueryCompiler(),
    createIntrospector: (db: Kysely<unknown>) => new SqliteIntrospector(db),
  };
}

/**
 * The SQLite store's worker thread (sqlite-driver.ts uses it while the store is busy): one
 * connection of its own, opened with the store's settings, and one statement a message. Replies
 * are matched to requests by id. The thread holds the process open only while a query waits for
 * it, and a thread that dies answers its waiting queries with the error; the next query starts
 * another.
 */
import { Worker } from 'node:worker_threads';

/**
 * The worker (CommonJS, run with `eval`): opens the file with `SQLITE_PRAGMAS`, then answers
 * `{ id, sql, params }` with rows (statements that return rows) or the changes, or an error.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.module);
let db;
let openError;
try {
  db = new SQLite(workerData.path);
  for (const pragma of workerData.pragmas) db.pragma(pragma);
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

/**
 * The settings of both of the store's connections (connection.ts opens the event loop's). In WAL
 * mode NORMAL syncs at checkpoints, not at every commit: a crash of the process loses nothing
 * committed, only a power cut may lose the last commits (https://sqlite.org/pragma.html#pragma_synchronous).
 */
export const SQLITE_PRAGMAS: readonly string[] = [
  'journal_mode = WAL',
  'synchronous = NORMAL',
  'busy_timeout = 5000',
];

/** Prepared statements a connection keeps per SQL text (least recently used dropped past this many). */
export const STATEMENT_CACHE = 200;

export interface Reply {
  id: number;
  rows?: Record<string, unknown>[];
  changes?: number;
  lastInsertRowid?: number | bigint;
  error?: { message: string; code?: string; name?: string };
}

type Waiting = { resolve: (reply: Reply) => void; reject: (err: unknown) => void };

/** The thread and its messages: one request, one reply, matched by id. */
export class SqliteThread {
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
      workerData: {
        path: this.options.path,
        module: this.options.module,
        statements: STATEMENT_CACHE,
        pragmas: SQLITE_PRAGMAS,
      },
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
export function sqliteError(e: NonNullable<Reply['error']>): Error {
  const err = new Error(e.message) as Error & { code?: string };
  if (e.name) err.name = e.name;
  if (e.code) err.code = e.code;
  return err;
}

/** Blobs come back as Uint8Array from the thread: callers get Buffers, as from better-sqlite3. */
export function withBuffers(row: Record<string, unknown>): Record<string, unknown> {
  for (const key in row) {
    const v = row[key];
    if (v instanceof Uint8Array && !Buffer.isBuffer(v))
      row[key] = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  }
  return row;
}

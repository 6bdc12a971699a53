/**
 * SQLite checkpoints off the event loop while the store writes steadily. In WAL mode a checkpoint
 * copies the log into the database and ends with an fsync, and SQLite runs it inside whichever
 * commit filled the log: on the event loop, where one such fsync held the bot for 50 to 110 ms
 * at 100 copies a second on a busy disk.
 *
 * Quiet, the connection checkpoints itself as SQLite does by default (rarely: every 1000 pages).
 * From `BUSY_WRITES` write statements in a second on, a worker thread with a connection of its own
 * takes over (`wal_autocheckpoint = 0` on the bot's connection) and checkpoints shortly after
 * writes. While it runs, the store's one connection is held (kysely queues the other queries, the
 * event loop stays free), so the checkpoint copies the whole log and the next write starts the log
 * again from its beginning: the log stays small. Quiet again for `WORKER_IDLE_MS`, the worker ends
 * and the connection checkpoints itself again: an idle bot holds no thread.
 */
import { Worker } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/** How long after a write the checkpoint runs, ms: the writes of that time go in one checkpoint. */
const CHECKPOINT_DELAY_MS = 200;
/** Write statements that start a checkpoint at once, before the delay is up. */
const CHECKPOINT_WRITES = 20;
/** Write statements within one second that hand checkpoints to the worker. */
const BUSY_WRITES = 50;
/** How long the worker stays after its last checkpoint with nothing written since, ms. */
const WORKER_IDLE_MS = 2000;
/** SQLite's own checkpoint threshold, pages: what the connection uses while quiet. */
const DEFAULT_CHECKPOINT_PAGES = 1000;

/** The worker: one connection, one passive checkpoint a message (CommonJS, run with `eval`). */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.module);
const db = new SQLite(workerData.path);
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ ok: true });
  } catch (err) {
    parentPort.postMessage({ ok: false, error: String((err && err.message) || err) });
  }
});
`;

type Reply = { ok: boolean; error?: string };
type Pending = { resolve: (reply: Reply) => void; reject: (err: unknown) => void };

export interface CheckpointerOptions {
  /** The database file. */
  path: string;
  /** Where better-sqlite3 is (`require.resolve`), for the worker. */
  module: string;
  db: Kysely<Database>;
  /** Sets the bot connection's `wal_autocheckpoint` (0: it never checkpoints). */
  autoCheckpoint: (pages: number) => void;
  /** The worker could not start or checkpoint: the connection checkpoints itself from then on. */
  onError: (err: unknown) => void;
}

export class Checkpointer {
  private worker: { worker: Worker; replies: Pending[] } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private idle: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failed = false;
  private closed = false;
  /** The worker checkpoints (the connection does not). */
  private busy = false;
  private windowStart = 0;
  private windowWrites = 0;
  /** Write statements since the last checkpoint began. */
  private pending = 0;
  private checkpointing = false;

  constructor(private readonly options: CheckpointerOptions) {}

  /** A statement wrote: while busy, a checkpoint follows shortly (one for all the writes until then). */
  wrote(): void {
    if (this.failed || this.closed) return;
    if (!this.busy) {
      const now = Date.now();
      if (now - this.windowStart > 1000) {
        this.windowStart = now;
        this.windowWrites = 0;
      }
      if (++this.windowWrites < BUSY_WRITES) return;
      this.busy = true;
      this.options.autoCheckpoint(0);
    }
    clearTimeout(this.idle);
    // A burst (a plan's chunks) is checkpointed before its log grows large, not only on the timer.
    if (++this.pending >= CHECKPOINT_WRITES && !this.checkpointing) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.running = this.checkpoint();
      return;
    }
    this.schedule();
  }

  /** A checkpoint after the delay, unless one is due already. */
  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // One under way: the writes since its start get the next one, when it ends.
      if (!this.checkpointing) this.running = this.checkpoint();
    }, CHECKPOINT_DELAY_MS);
    this.timer.unref();
  }

  /** Waits for a checkpoint under way, then stops the worker (its connection closed). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.idle);
    await this.running;
    await this.stopWorker();
  }

  /** Close the worker's connection and let the thread end. */
  private async stopWorker(): Promise<void> {
    const worker = this.worker?.worker;
    this.worker = undefined;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.ref();
    worker.postMessage('close');
    await exited;
  }

  private async checkpoint(): Promise<void> {
    this.checkpointing = true;
    this.pending = 0;
    try {
      // Holding the store's connection: no write of ours lands while the log is copied.
      const reply = await this.options.db.connection().execute(() => this.ask());
      if (!reply.ok) throw new Error(`checkpoint failed: ${reply.error}`);
      if (!this.timer && this.pending === 0 && !this.closed) {
        this.idle = setTimeout(() => void this.quiet(), WORKER_IDLE_MS);
        this.idle.unref();
      }
    } catch (err) {
      this.failed = true;
      this.options.onError(err);
      this.busy = false;
      this.options.autoCheckpoint(DEFAULT_CHECKPOINT_PAGES);
      await this.worker?.worker.terminate();
      this.worker = undefined;
    } finally {
      this.checkpointing = false;
      if (this.pending > 0 && this.busy && !this.closed) this.schedule();
    }
  }

  /** Nothing written for a while: the connection checkpoints itself again, and the worker ends. */
  private async quiet(): Promise<void> {
    this.busy = false;
    this.windowWrites = 0;
    this.options.autoCheckpoint(DEFAULT_CHECKPOINT_PAGES);
    await this.stopWorker();
  }

  private ask(): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const { worker, replies } = this.start();
      replies.push({ resolve, reject });
      // Queries wait for this checkpoint: the process must not exit under it.
      worker.ref();
      worker.postMessage('checkpoint');
    });
  }

  /** The worker, started on the first checkpoint after a quiet time. */
  private start(): { worker: Worker; replies: Pending[] } {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { path: this.options.path, module: this.options.module },
    });
    // The replies this worker owes, in order (a worker being stopped answers none of a newer one's).
    const replies: Pending[] = [];
    worker.on('message', (reply: Reply) => {
      replies.shift()?.resolve(reply);
      if (replies.length === 0) worker.unref();
    });
    const lost = (err: unknown) => {
      for (const r of replies.splice(0)) r.reject(err);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`checkpoint worker exited (${code})`)));
    worker.unref();
    this.worker = { worker, replies };
    return this.worker;
  }
}

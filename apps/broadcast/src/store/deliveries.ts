/** Delivery rows: one per destination, claimed with a lease, sent, marked with the copy's id. */
import { CompiledQuery } from 'kysely';
import type { StoreContext } from './context.js';
import { claimQueued, type RequeueArgs, releaseLease, requeue } from './lease.js';
import type { DeliveryCounts, DeliveryRow } from './rows.js';

/** What a sent copy shows: its content version, and whether Webex lets it be edited. */
export interface SentCopy {
  version: number;
  editable: boolean;
}

/** A copy of the first content version, editable: what a plain text copy is. */
const FIRST_COPY: SentCopy = { version: 1, editable: true };

/** Lease up to `limit` deliveries that are due: pending ones, and sending ones whose lease expired. */
export async function claimDeliveries(
  ctx: StoreContext,
  owner: string,
  now: number,
  leaseMs: number,
  limit: number,
): Promise<DeliveryRow[]> {
  return claimQueued(ctx, 'deliveries', { owner, now, leaseMs, limit });
}

/**
 * Hand back deliveries `owner` claimed and did not start (a worker's claim ahead, when the bot
 * stops): pending again, due as before, the claim's attempt refunded. Answers how many it held.
 * A statement each: a handful of rows per worker, once per stop.
 */
export async function unclaimDeliveries(
  ctx: StoreContext,
  ids: number[],
  owner: string,
  now: number,
): Promise<number> {
  let held = 0;
  for (const id of ids) {
    const back = await releaseLease(ctx, 'deliveries', { id, owner, now }, (eb) => ({
      status: 'pending',
      attempts: eb('attempts', '-', 1),
    }));
    if (back) held++;
  }
  return held;
}

/** What a worker passes to record a sent copy. */
export type MarkSentArgs = [id: number, owner: string, messageId: string, now: number, copy?: SentCopy];

/** One copy sent, waiting for its row to say so. */
interface SentMark {
  id: number;
  owner: string;
  messageId: string;
  now: number;
  version: number;
  editable: boolean;
  done: (held: boolean) => void;
  fail: (err: unknown) => void;
}

/** Rows one completion statement writes at most. */
const MARKS_PER_STATEMENT = 64;
/** How long a mark waits for others to go in its statement, unless its worker asks for it sooner. */
const LINGER_MS = 5;

/**
 * Group commit of sent copies: `markSent` from every worker of the store goes through here. A
 * mark waits up to `LINGER_MS` for others, and is written sooner when its worker needs it
 * (`hurry`): a worker sends its next copy while the last one's mark waits, and asks for that mark
 * only when the next send is done (bot.ts `deliverStep`). By then its newer mark and the other
 * workers' are queued too, and one statement writes them all. While a statement runs, the marks
 * that arrive wait for it. Each caller learns when its own row is written. On PostgreSQL they are
 * written on a connection of their own whose commits do not wait for the disk (connection.ts).
 */
export class SentMarks {
  private queue: SentMark[] = [];
  private writing = false;
  /** A mark in the queue was asked for: the next statement starts without lingering. */
  private hurried = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ctx: StoreContext) {}

  /**
   * Record the created message, the content version it shows and whether Webex can edit it; false
   * when the lease was lost to another claimer meanwhile.
   */
  mark(...[id, owner, messageId, now, copy = FIRST_COPY]: MarkSentArgs): Promise<boolean> {
    return new Promise((done, fail) => {
      this.queue.push({ id, owner, messageId, now, ...copy, done, fail });
      this.schedule();
    });
  }

  /** The mark of delivery `id` is waited for: write it now if it is still queued. */
  hurry(id: number): void {
    if (!this.queue.some((m) => m.id === id)) return;
    this.hurried = true;
    if (this.writing) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    void this.write();
  }

  private schedule(): void {
    if (this.writing || this.timer || this.queue.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, LINGER_MS);
  }

  private async write(): Promise<void> {
    if (this.writing || this.queue.length === 0) return;
    this.writing = true;
    this.hurried = false;
    const marks = this.queue.splice(0, MARKS_PER_STATEMENT);
    try {
      const held = await writeMarks(this.ctx, marks);
      for (const m of marks) m.done(held.has(m.id));
    } catch (err) {
      for (const m of marks) m.fail(err);
    } finally {
      this.writing = false;
      // A full statement's worth does not linger for more.
      if (this.hurried || this.queue.length >= MARKS_PER_STATEMENT) void this.write();
      else this.schedule();
    }
  }
}

/**
 * The statement that marks `n` copies sent, built once per database and `n`: on the hot path of
 * every copy, so neither the query builder nor the database's parser works for it more than once
 * (each SQLite connection keeps it prepared, sqlite-driver.ts; each PostgreSQL connection too,
 * connection.ts). Six parameters a copy, in `SentMark` order.
 *
 * Each row is found by its key alone. A lease is held only while the row is in flight (every way
 * out of `sending` clears `lease_owner`, as `releaseLease` relies on too), so the owner says what
 * a test of the status would. With `status = 'sending'` in the test, PostgreSQL read every
 * in-flight row through `deliveries_lease` and joined them to the marks, as its statistics see
 * almost none in flight: with four workers of 40, the server's time per statement of four marks
 * went from 0.45 ms to 0.2 ms by key (test/store-claims.test.ts shows the plan).
 */
export function markStatement(dialect: StoreContext['dialect'], n: number): string {
  const key = `${dialect} ${n}`;
  const known = markStatements.get(key);
  if (known) return known;
  let p = 0;
  const param = (type: string) => `cast(${dialect === 'postgres' ? `$${++p}` : '?'} as ${type})`;
  const row = () =>
    `(${param('bigint')}, ${param('text')}, ${param('text')}, ${param('integer')}, ${param('integer')}, ${param('bigint')})`;
  const text = `with v (id, owner, message_id, version, editable, at) as (values ${Array.from({ length: n }, row).join(', ')})
    update deliveries set status = 'sent', message_id = v.message_id, content_version = v.version,
      editable = v.editable, error = null, lease_owner = null, lease_until = null, updated_at = v.at
    from v
    where deliveries.id = v.id and deliveries.lease_owner = v.owner
    returning deliveries.id`;
  markStatements.set(key, text);
  return text;
}
const markStatements = new Map<string, string>();

/** The ids whose rows were still held by the mark's owner, and are now sent. */
async function writeMarks(ctx: StoreContext, marks: SentMark[]): Promise<Set<number>> {
  const params = marks.flatMap((m) => [m.id, m.owner, m.messageId, m.version, m.editable ? 1 : 0, m.now]);
  const r = await (ctx.marksDb ?? ctx.db).executeQuery<{ id: number | string }>(
    CompiledQuery.raw(markStatement(ctx.dialect, marks.length), params),
  );
  return new Set(r.rows.map((row) => Number(row.id)));
}

export async function markFailed(
  ctx: StoreContext,
  id: number,
  owner: string,
  error: string,
  now: number,
): Promise<void> {
  await releaseLease(ctx, 'deliveries', { id, owner, now }, { status: 'failed', error });
}

/**
 * Back in the queue, due at `notBefore`. A wait Webex asked for (429) is not the work's fault:
 * with `refundAttempt` the claim does not count toward `max_attempts`.
 */
export function retryLater(ctx: StoreContext, ...args: RequeueArgs): Promise<void> {
  return requeue(ctx, 'deliveries', ...args);
}

export async function deliveriesOf(ctx: StoreContext, broadcastId: string): Promise<DeliveryRow[]> {
  const rows = await ctx.db
    .selectFrom('deliveries')
    .selectAll()
    .where('broadcast_id', '=', broadcastId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

export async function deliveriesOfIds(ctx: StoreContext, ids: number[]): Promise<DeliveryRow[]> {
  if (ids.length === 0) return [];
  const rows = await ctx.db.selectFrom('deliveries').selectAll().where('id', 'in', ids).execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}

export async function countDeliveries(ctx: StoreContext, broadcastId?: string): Promise<DeliveryCounts> {
  let q = ctx.db.selectFrom('deliveries').select(['status', (eb) => eb.fn.countAll<number>().as('n')]);
  if (broadcastId) q = q.where('broadcast_id', '=', broadcastId);
  const rows = await q.groupBy('status').execute();
  const counts: DeliveryCounts = { held: 0, pending: 0, sending: 0, sent: 0, failed: 0, cancelled: 0 };
  for (const r of rows) counts[r.status] = Number(r.n);
  return counts;
}

/** The first `limit` failed copies of a broadcast, oldest first: the lines a report names. */
export async function failedDeliveries(
  ctx: StoreContext,
  broadcastId: string,
  limit: number,
): Promise<Array<{ roomId: string; title: string | null; error: string | null }>> {
  const rows = await ctx.db
    .selectFrom('deliveries')
    .select(['room_id', 'room_title', 'error'])
    .where('broadcast_id', '=', broadcastId)
    .where('status', '=', 'failed')
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ roomId: r.room_id, title: r.room_title, error: r.error }));
}

/** What a preview card shows: how many spaces (and how many refuse the bot), and the first names. */
export interface PlannedSpaces {
  total: number;
  cannotPost: number;
  /** The first `limit` spaces' titles (the room id without one), in plan order. */
  names: string[];
  /** The first `limit` announcement-only spaces where the bot is not a moderator. */
  cannotPostNames: string[];
}

/** A broadcast's planned spaces for its preview: counted in SQL, only the first names loaded. */
export async function plannedSpaces(
  ctx: StoreContext,
  broadcastId: string,
  limit: number,
): Promise<PlannedSpaces> {
  const counts = await ctx.db
    .selectFrom('deliveries')
    .select((eb) => [
      eb.fn.countAll<number>().as('n'),
      eb.fn.sum<number>(eb.case().when('note', '=', 'not_moderator').then(1).else(0).end()).as('blocked'),
    ])
    .where('broadcast_id', '=', broadcastId)
    .executeTakeFirst();
  const first = (notModerator: boolean) => {
    let q = ctx.db
      .selectFrom('deliveries')
      .select(['room_id', 'room_title'])
      .where('broadcast_id', '=', broadcastId);
    if (notModerator) q = q.where('note', '=', 'not_moderator');
    return q.orderBy('id').limit(limit).execute();
  };
  const cannotPost = Number(counts?.blocked ?? 0);
  const names = (await first(false)).map((r) => r.room_title ?? r.room_id);
  const cannotPostNames = cannotPost > 0 ? (await first(true)).map((r) => r.room_title ?? r.room_id) : [];
  return { total: Number(counts?.n ?? 0), cannotPost, names, cannotPostNames };
}

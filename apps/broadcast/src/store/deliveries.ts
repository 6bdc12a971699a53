/** Delivery rows: one per destination, claimed with a lease, sent, marked with the copy's id. */
import { sql } from 'kysely';
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
 * Record the created message, the content version it shows and whether Webex can edit it; false
 * when the lease was lost to another claimer meanwhile.
 */
/** What a worker passes to record a sent copy. */
export type MarkSentArgs = [id: number, owner: string, messageId: string, now: number, copy?: SentCopy];

export async function markSent(
  ctx: StoreContext,
  ...[id, owner, messageId, now, copy = FIRST_COPY]: MarkSentArgs
): Promise<boolean> {
  return releaseLease(
    ctx,
    'deliveries',
    { id, owner, now },
    {
      status: 'sent',
      message_id: messageId,
      content_version: copy.version,
      editable: copy.editable ? 1 : 0,
      error: null,
    },
    (row) => row('status', '=', 'sending'),
  );
}

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

/**
 * Group commit of sent copies: `markSent` from every worker of the store goes through here. With
 * no statement running, a mark is written at once; while one runs, the marks that arrive wait and
 * are then written together, one statement for all of them. Each caller learns when its own row
 * is written; a worker sends its next copy meanwhile but no further (bot.ts `deliverStep`).
 */
export class SentMarks {
  private queue: SentMark[] = [];
  private writing = false;

  constructor(private readonly ctx: StoreContext) {}

  /** Same contract as `markSent`: false when the lease was lost to another claimer meanwhile. */
  mark(...[id, owner, messageId, now, copy = FIRST_COPY]: MarkSentArgs): Promise<boolean> {
    return new Promise((done, fail) => {
      this.queue.push({ id, owner, messageId, now, ...copy, done, fail });
      if (!this.writing) void this.write();
    });
  }

  private async write(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const marks = this.queue.splice(0, MARKS_PER_STATEMENT);
        try {
          const held = await writeMarks(this.ctx, marks);
          for (const m of marks) m.done(held.has(m.id));
        } catch (err) {
          for (const m of marks) m.fail(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}

/** The ids whose rows were still held by the mark's owner, and are now sent. */
async function writeMarks(ctx: StoreContext, marks: SentMark[]): Promise<Set<number>> {
  const [only] = marks;
  if (marks.length === 1 && only)
    return (await markSent(ctx, only.id, only.owner, only.messageId, only.now, only))
      ? new Set([only.id])
      : new Set();
  const values = sql.join(
    marks.map(
      (m) =>
        sql`(cast(${m.id} as bigint), cast(${m.owner} as text), cast(${m.messageId} as text), cast(${m.version} as integer), cast(${m.editable ? 1 : 0} as integer), cast(${m.now} as bigint))`,
    ),
  );
  const r = await sql<{
    id: number | string;
  }>`with v (id, owner, message_id, version, editable, at) as (values ${values})
    update deliveries set status = 'sent', message_id = v.message_id, content_version = v.version,
      editable = v.editable, error = null, lease_owner = null, lease_until = null, updated_at = v.at
    from v
    where deliveries.id = v.id and deliveries.lease_owner = v.owner and deliveries.status = 'sending'
    returning deliveries.id`.execute(ctx.db);
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

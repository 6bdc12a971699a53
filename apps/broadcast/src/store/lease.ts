/**
 * Leases: how one instance at a time holds a row of work (a broadcast to plan or report, a card to
 * post, a delivery, a copy task). A claim is one statement, `update … where id in (select … limit
 * n)`: atomic on SQLite (no read-to-write upgrade between connections) and, with `FOR UPDATE SKIP
 * LOCKED` in the sub-select, safe for concurrent claimers on PostgreSQL. The holder writes its
 * outcome only while it still holds the lease, so a holder that stalled past its lease cannot
 * overwrite the work of the claimer that took over.
 */
import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type Selectable,
  type SqlBool,
  sql,
  type UpdateObject,
} from 'kysely';
import type { StoreContext } from './context.js';
import type { Database } from './schema.js';

/** The tables whose rows are leased. */
export type LeasedTable = 'broadcasts' | 'deliveries' | 'copy_tasks';

/** Queue tables: a row is `pending` until due (`not_before`), then in flight under a lease. */
export type QueueTable = 'deliveries' | 'copy_tasks';
export const QUEUE_TABLES = ['deliveries', 'copy_tasks'] as const satisfies readonly QueueTable[];

/** The status of a queued row while its lease is held. */
export const IN_FLIGHT = { deliveries: 'sending', copy_tasks: 'working' } as const;

/** What a lease needs of the store. */
export type LeaseContext = StoreContext;

/** The rows a claim chooses from, named `c` so that a predicate never means the row being updated. */
export type Candidates<T extends LeasedTable> = ExpressionBuilder<Database & { c: Database[T] }, 'c'>;

export interface LeaseClaim<T extends LeasedTable> {
  owner: string;
  now: number;
  /** How long the lease holds (ms); after `now + leaseMs` another claimer may take the row. */
  leaseMs: number;
  /** Rows to lease at most. */
  limit: number;
  /** Which rows may be leased now: each table says when its lease is free. */
  due: (c: Candidates<T>) => Expression<SqlBool>;
  /** Due rows are taken in this order. */
  orderBy: `c.${keyof Database[T] & string}`;
  /** The status a leased row moves to (queue tables: `IN_FLIGHT`); unchanged when absent. */
  status?: Database[T]['status'];
  /** The claim counts toward `attempts` and touches `updated_at`; otherwise the row keeps both. */
  countsAttempt: boolean;
  /** Checked again on the row being updated, besides its id. */
  recheck?: (row: ExpressionBuilder<Database, T>) => Expression<SqlBool>;
}

/**
 * Every leased table seen through the columns a lease touches. Kysely cannot resolve the columns of
 * a table whose name is a type parameter, so the helpers build their statements on these views
 * while their signatures keep each caller's table typed.
 */
interface LeaseColumns {
  id: number | string;
  status: string;
  lease_owner: string | null;
  lease_until: number | null;
  attempts: number;
  updated_at: number;
}
type LeaseView = Record<LeasedTable, LeaseColumns>;

function view(ctx: LeaseContext): Kysely<LeaseView> {
  return ctx.db as unknown as Kysely<LeaseView>;
}

/** The statement that leases up to `limit` due rows of `table`, in `orderBy` order. */
function claimStatement<T extends LeasedTable>(ctx: LeaseContext, table: T, claim: LeaseClaim<T>) {
  const { owner, now, leaseMs, limit, recheck } = claim;
  let update = view(ctx)
    .updateTable(table as LeasedTable)
    .set((eb) => ({
      lease_owner: owner,
      lease_until: now + leaseMs,
      ...(claim.status === undefined ? {} : { status: claim.status }),
      ...(claim.countsAttempt ? { attempts: eb('attempts', '+', 1), updated_at: now } : {}),
    }))
    .where('id', 'in', (eb) => {
      let q = eb
        .selectFrom(`${table as LeasedTable} as c`)
        .select('c.id')
        .where((c) => claim.due(c as unknown as Candidates<T>))
        .orderBy(claim.orderBy as 'c.id')
        .limit(limit);
      if (ctx.dialect === 'postgres') q = q.forUpdate().skipLocked();
      return q;
    });
  if (recheck) update = update.where((row) => recheck(row as unknown as ExpressionBuilder<Database, T>));
  return update.returningAll();
}

/** Lease up to `limit` due rows of `table`, in `orderBy` order, and return them as updated. */
export async function claimLeases<T extends LeasedTable>(
  ctx: LeaseContext,
  table: T,
  claim: LeaseClaim<T>,
): Promise<Array<Selectable<Database[T]>>> {
  const rows = await claimStatement(ctx, table, claim).execute();
  return rows as unknown as Array<Selectable<Database[T]>>;
}

type QueueLease = { owner: string; now: number; leaseMs: number; limit: number };

/**
 * The two claims of a queue table, each a range of one index (migration 004) read in index order,
 * so that no claim sorts the pending rows and its cost does not grow with them: in-flight rows
 * whose lease expired (`status, lease_until`), then pending rows that are due
 * (`status, not_before, id`). One `OR` of both would be planned as a multi-index scan plus a sort.
 */
export function queueClaims<T extends QueueTable>(ctx: LeaseContext, table: T, lease: QueueLease) {
  const inFlight = IN_FLIGHT[table as QueueTable];
  const common = { ...lease, status: inFlight as Database[T]['status'], countsAttempt: true };
  const expired = (c: Candidates<QueueTable>) =>
    c.and([c('c.status', '=', inFlight), c('c.lease_until', '<', lease.now)]);
  const pending = (c: Candidates<QueueTable>) =>
    c.and([c('c.status', '=', 'pending'), c('c.not_before', '<=', lease.now)]);
  const claim = (due: typeof expired, orderBy: 'c.lease_until' | 'c.not_before') => (limit: number) =>
    claimStatement(ctx, table, {
      ...common,
      limit,
      due: due as unknown as LeaseClaim<T>['due'],
      orderBy: orderBy as LeaseClaim<T>['orderBy'],
    });
  return { expired: claim(expired, 'c.lease_until'), pending: claim(pending, 'c.not_before') };
}

/**
 * How often (in the claimers' time, ms) a claim looks for expired leases before pending rows even
 * when pending rows fill it: a lease outlives its holder only after a crash or a stall, so most
 * claims need not ask, and a row whose holder is gone waits this long at most behind a full queue.
 */
export const EXPIRED_CHECK_MS = 1000;
/** Per store and table: the claimers' time of the last claim that looked for expired leases first. */
const expiredChecked = new WeakMap<LeaseContext, Partial<Record<QueueTable, number>>>();

/**
 * Lease up to `limit` queued rows that are due: in-flight ones whose lease expired (their holder
 * is gone) and pending ones past their `not_before`; each claim is an attempt. Returned by id.
 *
 * Expired leases come first once every `EXPIRED_CHECK_MS`; otherwise pending rows do, and expired
 * ones fill what is left. A claim that pending rows fill is then one statement, not two.
 */
export async function claimQueued<T extends QueueTable>(
  ctx: LeaseContext,
  table: T,
  lease: QueueLease,
): Promise<Array<Selectable<Database[T]> & { id: number }>> {
  const claims = queueClaims(ctx, table, lease);
  const checked = expiredChecked.get(ctx) ?? {};
  expiredChecked.set(ctx, checked);
  const last = checked[table];
  const expiredFirst = last === undefined || lease.now - last >= EXPIRED_CHECK_MS || lease.now < last;
  const rows: unknown[] = [];
  if (expiredFirst) {
    checked[table] = lease.now;
    rows.push(...(await claims.expired(lease.limit).execute()));
  }
  if (rows.length < lease.limit) rows.push(...(await claims.pending(lease.limit - rows.length).execute()));
  if (!expiredFirst && rows.length < lease.limit)
    rows.push(...(await claims.expired(lease.limit - rows.length).execute()));
  return rows
    .map((r) => ({ ...(r as Selectable<Database[T]>), id: Number((r as { id: unknown }).id) }))
    .sort((a, b) => a.id - b.id);
}

/** New queued rows in one go from which PostgreSQL is asked to count the table again. */
const RECOUNT_AFTER = 1000;

/**
 * After `added` new rows in a queue table: PostgreSQL plans the claims on its statistics, and right
 * after thousands of new pending rows they still describe the table before, so the pending claim
 * would sort every pending row (a bitmap scan) instead of reading the first ones off its index.
 * Counted again here (`analyze`), not a minute later by autovacuum. Only a matter of speed: a
 * failure is ignored. SQLite's planner goes by the indexes alone (store-claims.test.ts).
 */
export async function recountAfter(ctx: LeaseContext, table: QueueTable, added: number): Promise<void> {
  if (ctx.dialect !== 'postgres' || added < RECOUNT_AFTER) return;
  await sql`analyze ${sql.table(table)}`.execute(ctx.db).catch(() => {});
}

/** A row's key: text for broadcasts, a number for queued rows. */
export type LeasedId<T extends LeasedTable> = T extends QueueTable ? number : string;

/** What the holder writes: columns, or a function of the row's expression builder. */
export type Outcome<T extends LeasedTable> =
  | UpdateObject<Database, T>
  | ((eb: ExpressionBuilder<Database, T>) => UpdateObject<Database, T>);

/**
 * The holder writes the outcome and frees the lease; `onlyIf` narrows which rows it may still
 * write (e.g. only while in flight). False when the lease was lost meanwhile.
 */
export async function releaseLease<T extends LeasedTable>(
  ctx: LeaseContext,
  table: T,
  held: { id: LeasedId<T>; owner: string; now: number },
  outcome: Outcome<T>,
  onlyIf?: (row: ExpressionBuilder<Database, T>) => Expression<SqlBool>,
): Promise<boolean> {
  let q = view(ctx)
    .updateTable(table as LeasedTable)
    .set((eb) => ({
      ...(typeof outcome === 'function' ? outcome(eb as unknown as ExpressionBuilder<Database, T>) : outcome),
      lease_owner: null,
      lease_until: null,
      updated_at: held.now,
    }))
    .where('id', '=', held.id)
    .where('lease_owner', '=', held.owner);
  if (onlyIf) q = q.where((row) => onlyIf(row as unknown as ExpressionBuilder<Database, T>));
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** What a worker passes to put its row back: `requeue`'s arguments after the table. */
export type RequeueArgs = [
  id: number,
  owner: string,
  notBefore: number,
  error: string,
  now: number,
  refundAttempt?: boolean,
];

/**
 * Back in the queue, due at `notBefore`. A wait Webex asked for (429) is not the work's fault:
 * with `refundAttempt` the claim does not count toward `max_attempts`.
 */
export async function requeue(
  ctx: LeaseContext,
  table: QueueTable,
  ...[id, owner, notBefore, error, now, refundAttempt = false]: RequeueArgs
): Promise<void> {
  await releaseLease(ctx, table, { id, owner, now }, (eb: ExpressionBuilder<Database, QueueTable>) => ({
    status: 'pending',
    not_before: notBefore,
    error,
    ...(refundAttempt ? { attempts: eb('attempts', '-', 1) } : {}),
  }));
}

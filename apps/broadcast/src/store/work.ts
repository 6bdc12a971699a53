/** The queues as a whole: leases handed back at start, queue depth, and whether anything is left to do. */
import { sql } from 'kysely';
import type { StoreContext } from './context.js';
import { IN_FLIGHT, QUEUE_TABLES, type QueueTable } from './lease.js';

/**
 * At start: leases held by earlier runs of this same instance are released at once (that run is
 * gone), so a restart after a crash does not wait for them to expire.
 */
export async function releaseLeasesOf(
  ctx: StoreContext,
  instancePrefix: string,
  now: number,
): Promise<number> {
  const like = `${instancePrefix.replace(/[%_\\]/g, (c) => `\\${c}`)}:%`;
  const heldByThem = sql<boolean>`lease_owner like ${like} escape '\\'`;
  let released = 0;
  for (const table of QUEUE_TABLES) {
    const r = await ctx.db
      .updateTable(table)
      .set({ status: 'pending', lease_owner: null, lease_until: null, not_before: now, updated_at: now })
      .where('status', '=', IN_FLIGHT[table])
      .where(heldByThem)
      .executeTakeFirst();
    released += Number(r.numUpdatedRows);
  }
  await ctx.db
    .updateTable('broadcasts')
    .set({ lease_owner: null, lease_until: null, updated_at: now })
    .where(heldByThem)
    .execute();
  return released;
}

/** Rows of a queue table pending or in flight. */
export async function openRows(ctx: StoreContext, table: QueueTable): Promise<number> {
  const r = await ctx.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', ['pending', IN_FLIGHT[table]])
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** Queue depth for metrics: deliveries, deletes and edits pending or in flight. */
export async function queueDepth(ctx: StoreContext): Promise<number> {
  return (await openRows(ctx, 'deliveries')) + (await openRows(ctx, 'copy_tasks'));
}

/** Broadcasts being planned, sent or reported, with a recall or edit under way, or a card wanted. */
function busyBroadcasts(ctx: StoreContext) {
  return ctx.db
    .selectFrom('broadcasts')
    .select('id')
    .where((w) =>
      w.or([
        w('status', 'in', ['received', 'sending', 'reporting']),
        w('recall_state', '=', 'requested'),
        w('edit_state', '=', 'propagating'),
        w('report_wanted', '>', w.ref('report_done')),
      ]),
    );
}

/**
 * Nothing left to do: no broadcast being planned, sent or reported, no recall or edit under
 * way, no card waiting to be posted, no task open. Previews and approvals may wait for people.
 */
export async function isIdle(ctx: StoreContext): Promise<boolean> {
  const busy = await busyBroadcasts(ctx).limit(1).executeTakeFirst();
  return !busy && (await openRows(ctx, 'copy_tasks')) === 0;
}

/**
 * Whether any loop has something to do now, in one statement: a broadcast to plan, send, report
 * or sweep, a card wanted, a delivery or task due (pending past `not_before`, or in flight with
 * its lease run out). An idle bot asks only this, every poll, instead of every loop asking its own.
 */
export async function hasDueWork(ctx: StoreContext, now: number): Promise<boolean> {
  const { db } = ctx;
  const queue = (table: QueueTable) => [
    db.selectFrom(table).select('id').where('status', '=', 'pending').where('not_before', '<=', now),
    db.selectFrom(table).select('id').where('status', '=', IN_FLIGHT[table]).where('lease_until', '<', now),
  ];
  const r = await db
    .selectNoFrom((eb) =>
      eb
        .or([eb.exists(busyBroadcasts(ctx)), ...QUEUE_TABLES.flatMap(queue).map((q) => eb.exists(q))])
        .as('due'),
    )
    .executeTakeFirst();
  return Boolean(r?.due);
}

/** When the earliest pending delivery or task is due (ms), if any: for a wake-up at that time. */
export async function nextDue(ctx: StoreContext): Promise<number | undefined> {
  const { db } = ctx;
  const r = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('deliveries')
        .select((s) => s.fn.min('not_before').as('t'))
        .where('status', '=', 'pending')
        .as('d'),
      eb
        .selectFrom('copy_tasks')
        .select((s) => s.fn.min('not_before').as('t'))
        .where('status', '=', 'pending')
        .as('t'),
    ])
    .executeTakeFirst();
  const times = [r?.d, r?.t].filter((t) => t !== null && t !== undefined).map(Number);
  return times.length > 0 ? Math.min(...times) : undefined;
}

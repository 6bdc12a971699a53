/** The queues as a whole: leases handed back at start, queue depth, and whether anything is left to do. */
import { sql } from 'kysely';
import type { StoreContext } from './context.js';
import { openTaskCount } from './copy-tasks.js';

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
  const d = await ctx.db
    .updateTable('deliveries')
    .set({ status: 'pending', lease_owner: null, lease_until: null, not_before: now, updated_at: now })
    .where('status', '=', 'sending')
    .where(sql<boolean>`lease_owner like ${like} escape '\\'`)
    .executeTakeFirst();
  await ctx.db
    .updateTable('broadcasts')
    .set({ lease_owner: null, lease_until: null, updated_at: now })
    .where(sql<boolean>`lease_owner like ${like} escape '\\'`)
    .execute();
  const t = await ctx.db
    .updateTable('copy_tasks')
    .set({ status: 'pending', lease_owner: null, lease_until: null, not_before: now, updated_at: now })
    .where('status', '=', 'working')
    .where(sql<boolean>`lease_owner like ${like} escape '\\'`)
    .executeTakeFirst();
  return Number(d.numUpdatedRows) + Number(t.numUpdatedRows);
}

/** Queue depth for metrics: deliveries, deletes and edits pending or in flight. */
export async function queueDepth(ctx: StoreContext): Promise<number> {
  const r = await ctx.db
    .selectFrom('deliveries')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'in', ['pending', 'sending'])
    .executeTakeFirst();
  return Number(r?.n ?? 0) + (await openTaskCount(ctx));
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
  return !busy && (await openTaskCount(ctx)) === 0;
}

/**
 * Whether any loop has something to do now, in one statement: a broadcast to plan, send, report
 * or sweep, a card wanted, a delivery or task due (pending past `not_before`, or in flight with
 * its lease run out). An idle bot asks only this, every poll, instead of every loop asking its own.
 */
export async function hasDueWork(ctx: StoreContext, now: number): Promise<boolean> {
  const { db } = ctx;
  const queue = (table: 'deliveries' | 'copy_tasks', inFlight: 'sending' | 'working') => [
    db.selectFrom(table).select('id').where('status', '=', 'pending').where('not_before', '<=', now),
    db.selectFrom(table).select('id').where('status', '=', inFlight).where('lease_until', '<', now),
  ];
  const r = await db
    .selectNoFrom((eb) =>
      eb
        .or([
          eb.exists(busyBroadcasts(ctx)),
          ...[...queue('deliveries', 'sending'), ...queue('copy_tasks', 'working')].map((q) => eb.exists(q)),
        ])
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

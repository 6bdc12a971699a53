/** The cards of a broadcast: preview and approval cards, and the report card re-posted as it goes. */
import { updateBroadcast } from './broadcasts.js';
import type { StoreContext } from './context.js';
import { countDeliveries } from './deliveries.js';
import { claimLeases, releaseLease } from './lease.js';
import type { BroadcastRow } from './rows.js';
import type { BroadcastStatus } from './schema.js';

/** Below this many destinations no progress card is posted while sending, only the final one. */
export const PROGRESS_CARD_MIN = 20;

/**
 * While a large broadcast is sending, a progress card this often (ms), the first one after one
 * interval. Each card is a post plus a delete of the previous one, so a time bound (not a share
 * of the copies) keeps a broadcast shorter than this at its final report alone, whatever its size,
 * and one of under two intervals within N + listing pages + 5 REST calls.
 */
export const PROGRESS_CARD_INTERVAL_MS = 60_000;

/** Remember the preview or approval card. */
export async function setControlMessage(
  ctx: StoreContext,
  broadcastId: string,
  messageId: string,
  now: number,
): Promise<void> {
  await updateBroadcast(ctx, broadcastId).set({ control_message_id: messageId, updated_at: now }).execute();
}

/** Ask for the report card to be posted again (a milestone, a recall or edit finished). */
export async function wantReport(ctx: StoreContext, broadcastId: string, now: number): Promise<void> {
  await updateBroadcast(ctx, broadcastId)
    .set((eb) => ({ report_wanted: eb('report_wanted', '+', 1), updated_at: now }))
    .execute();
}

/**
 * Broadcasts still sending copies a minute (PROGRESS_CARD_INTERVAL_MS) after their last progress
 * card: ask for a new card (large broadcasts only, see PROGRESS_CARD_MIN). `report_milestone`
 * counts the intervals since the broadcast was created. Returns how many were bumped.
 */
export async function bumpMilestones(ctx: StoreContext, now: number): Promise<number> {
  const rows = await ctx.db
    .selectFrom('broadcasts')
    .select(['id', 'total', 'report_milestone', 'created_at'])
    .where('status', '=', 'sending')
    .where('total', '>=', PROGRESS_CARD_MIN)
    .limit(20)
    .execute();
  let bumped = 0;
  for (const row of rows) {
    const milestone = Math.floor((now - Number(row.created_at)) / PROGRESS_CARD_INTERVAL_MS);
    if (milestone <= row.report_milestone) continue;
    const c = await countDeliveries(ctx, row.id);
    if (c.pending + c.sending === 0) continue; // the final report comes next
    const r = await updateBroadcast(ctx, row.id)
      .set((eb) => ({
        report_milestone: milestone,
        report_wanted: eb('report_wanted', '+', 1),
        updated_at: now,
      }))
      .where('report_milestone', '<', milestone)
      .executeTakeFirst();
    bumped += Number(r.numUpdatedRows);
  }
  return bumped;
}

/**
 * Lease a broadcast whose card should be (re-)posted: a preview or approval card not posted yet,
 * or a report card behind its wanted version. Not while the final report is being written.
 */
export async function claimCardUpdate(
  ctx: StoreContext,
  owner: string,
  now: number,
  leaseMs: number,
): Promise<BroadcastRow | undefined> {
  const statuses: BroadcastStatus[] = ['sending', 'done', 'previewed', 'awaiting_approval'];
  // A lease only: no attempt is counted and `updated_at` stays, keeping the row's place in line.
  const [row] = await claimLeases(ctx, 'broadcasts', {
    owner,
    now,
    leaseMs,
    limit: 1,
    due: (c) =>
      c.and([
        c('c.status', 'in', statuses),
        c('c.report_wanted', '>', c.ref('c.report_done')),
        c.or([c('c.lease_until', 'is', null), c('c.lease_until', '<', now)]),
      ]),
    orderBy: 'c.updated_at',
    countsAttempt: false,
    recheck: (row) => row('status', 'in', statuses),
  });
  return row;
}

/** Remember a new report card while still holding the broadcast's lease. */
export async function setReportMessage(
  ctx: StoreContext,
  broadcastId: string,
  owner: string,
  messageId: string,
  now: number,
): Promise<void> {
  await updateBroadcast(ctx, broadcastId)
    .set({ report_message_id: messageId, updated_at: now })
    .where('lease_owner', '=', owner)
    .execute();
}

/** The card for version `wanted` is out: remember it and free the lease. */
export async function cardPosted(
  ctx: StoreContext,
  broadcastId: string,
  owner: string,
  wanted: number,
  reportMessageId: string | null,
  now: number,
): Promise<void> {
  await releaseLease(
    ctx,
    'broadcasts',
    { id: broadcastId, owner, now },
    { report_done: wanted, ...(reportMessageId ? { report_message_id: reportMessageId } : {}) },
  );
}

/** Storing a plan (the content, the file, one delivery per destination) and the decisions on it. */

import type { UpdateQueryBuilder, UpdateResult } from 'kysely';
import { yieldToLoop } from '../yield.js';
import type { StoreContext } from './context.js';
import { recountAfter } from './lease.js';
import type { PlannedDelivery, PlanStatus, StoredFile } from './rows.js';
import type { Database } from './schema.js';

/** Delivery rows one insert writes; between two the event loop runs (a plan may be 10,000 rows). */
const PLAN_CHUNK = 250;

type WhereBroadcast = UpdateQueryBuilder<Database, 'broadcasts', 'broadcasts', UpdateResult>;

/**
 * Store the plan of a leased broadcast: its content, its file and one delivery row per
 * destination, pending when `status` is `sending`, held otherwise (a preview, an approval). A
 * preview or approval card is wanted at once.
 *
 * Written in steps, none of which holds the database or the event loop for long: the content and
 * file (while the lease is still ours), the rows in chunks, then the broadcast's new status. Rows
 * may be claimed before the last step: their content is stored. A planner that stops half-way
 * leaves the broadcast `received`; planning it again adds only the rows still missing.
 */
export async function savePlan(
  ctx: StoreContext,
  broadcastId: string,
  owner: string,
  content: unknown,
  file: StoredFile | undefined,
  deliveries: PlannedDelivery[],
  now: number,
  status: PlanStatus = 'sending',
): Promise<boolean> {
  const ours = (q: WhereBroadcast) =>
    q.where('id', '=', broadcastId).where('status', '=', 'received').where('lease_owner', '=', owner);
  const started = await ctx.db.transaction().execute(async (trx) => {
    const r = await ours(
      trx.updateTable('broadcasts').set({ content: JSON.stringify(content), updated_at: now }),
    ).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return false;
    if (file) {
      await trx
        .insertInto('files')
        .values({
          broadcast_id: broadcastId,
          name: file.name,
          content_type: file.contentType,
          bytes: file.bytes,
        })
        .onConflict((oc) => oc.column('broadcast_id').doNothing())
        .execute();
    }
    return true;
  });
  if (!started) return false;
  // SQLite: thousands of rows are a second or more of commits, off the event loop from the first.
  if (deliveries.length > PLAN_CHUNK) ctx.expectBusy?.();
  for (let i = 0; i < deliveries.length; i += PLAN_CHUNK) {
    // Every chunk after a turn of the loop, the first too: it follows the planner's own work.
    await yieldToLoop();
    await ctx.db
      .insertInto('deliveries')
      .values(
        deliveries.slice(i, i + PLAN_CHUNK).map((d) => ({
          broadcast_id: broadcastId,
          room_id: d.roomId,
          room_type: d.roomType,
          room_title: d.title ?? null,
          status: status === 'sending' ? ('pending' as const) : ('held' as const),
          attempts: 0,
          not_before: now,
          lease_owner: null,
          lease_until: null,
          message_id: null,
          error: null,
          updated_at: now,
          content_version: 0,
          edit_count: 0,
          editable: 1,
          note: d.note ?? null,
        })),
      )
      .onConflict((oc) => oc.columns(['broadcast_id', 'room_id']).doNothing())
      .execute();
  }
  // The claims are planned on fresh statistics (lease.ts `recountAfter`).
  await recountAfter(ctx, 'deliveries', deliveries.length);
  // A preview or approval card at once. A broadcast that is sending gets its first progress card
  // after PROGRESS_CARD_INTERVAL_MS (bumpMilestones): a short one costs only its final report.
  const wantCard = status !== 'sending';
  const r = await ours(
    ctx.db.updateTable('broadcasts').set({
      status,
      total: deliveries.length,
      report_wanted: wantCard && deliveries.length > 0 ? 1 : 0,
      lease_owner: null,
      lease_until: null,
      updated_at: now,
    }),
  ).executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/**
 * A preview's Send or an approver's decision: move a broadcast from `from` to `to` (once, whoever
 * wins), releasing its held deliveries when it goes out and cancelling them when rejected.
 */
export async function decide(
  ctx: StoreContext,
  broadcastId: string,
  from: 'previewed' | 'awaiting_approval',
  to: 'sending' | 'awaiting_approval' | 'rejected',
  decidedBy: string | null,
  now: number,
): Promise<boolean> {
  return ctx.db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('broadcasts')
      .set((eb) => ({
        status: to,
        updated_at: now,
        control_message_id: null,
        ...(decidedBy ? { decided_by: decidedBy } : {}),
        report_wanted: to === 'rejected' ? eb.ref('report_wanted') : eb('report_wanted', '+', 1),
      }))
      .where('id', '=', broadcastId)
      .where('status', '=', from)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return false;
    if (to !== 'awaiting_approval') {
      await trx
        .updateTable('deliveries')
        .set({ status: to === 'sending' ? 'pending' : 'cancelled', not_before: now, updated_at: now })
        .where('broadcast_id', '=', broadcastId)
        .where('status', '=', 'held')
        .execute();
    }
    return true;
  });
}

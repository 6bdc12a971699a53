/**
 * Broadcast rows: created once per source message, leased to be planned and reported, looked up
 * by their source, their cards or their copies.
 */
import { sql } from 'kysely';
import type { StoreContext } from './context.js';
import { countDeliveries } from './deliveries.js';
import { claimLeases, releaseLease } from './lease.js';
import type { BroadcastRow, DeliveryCounts, NewBroadcast, StoredFile } from './rows.js';

/** Broadcast rows, every column; the caller says which. */
function broadcastRows(ctx: StoreContext) {
  return ctx.db.selectFrom('broadcasts').selectAll();
}

/** The update of broadcast `broadcastId`; the caller says what it sets (and may narrow it further). */
export function updateBroadcast(ctx: StoreContext, broadcastId: string) {
  return ctx.db.updateTable('broadcasts').where('id', '=', broadcastId);
}

/** Create a broadcast for a source message; false when that message already has one. */
export async function createBroadcast(ctx: StoreContext, b: NewBroadcast, now: number): Promise<boolean> {
  const r = await ctx.db
    .insertInto('broadcasts')
    .values({
      id: b.id,
      source_message_id: b.sourceMessageId,
      source_room_id: b.sourceRoomId,
      sender_id: b.senderId,
      status: 'received',
      request: JSON.stringify(b.request),
      content: null,
      total: 0,
      note: null,
      report_message_id: null,
      lease_owner: null,
      lease_until: null,
      attempts: 0,
      created_at: now,
      updated_at: now,
      kind: b.kind ?? 'broadcast',
      content_version: 1,
      report_wanted: 0,
      report_done: 0,
      report_milestone: 0,
      control_message_id: null,
      decided_by: null,
      recall_state: null,
      recall_by: null,
      edit_state: null,
    })
    .onConflict((oc) => oc.column('source_message_id').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

/**
 * Lease broadcasts in `status` whose lease is free or expired (planning: 'received';
 * reporting: 'reporting'). Each claim increments `attempts`.
 */
export async function claimBroadcasts(
  ctx: StoreContext,
  status: 'received' | 'reporting',
  owner: string,
  now: number,
  leaseMs: number,
  limit: number,
): Promise<BroadcastRow[]> {
  return claimLeases(ctx, 'broadcasts', {
    owner,
    now,
    leaseMs,
    limit,
    due: (c) =>
      c.and([
        c('c.status', '=', status),
        c.or([c('c.lease_until', 'is', null), c('c.lease_until', '<', now)]),
      ]),
    orderBy: 'c.created_at',
    countsAttempt: true,
    recheck: (row) => row('status', '=', status),
  });
}

/** End a broadcast without deliveries (sender refused, nothing to send, planning failed for good, a command). */
export async function finishBroadcast(
  ctx: StoreContext,
  broadcastId: string,
  status: 'refused' | 'done',
  note: string | null,
  now: number,
  kind?: 'command',
): Promise<void> {
  await updateBroadcast(ctx, broadcastId)
    .set({ status, note, lease_owner: null, lease_until: null, updated_at: now, ...(kind ? { kind } : {}) })
    .execute();
}

/** The broadcast created by a source message. */
export async function broadcastBySource(
  ctx: StoreContext,
  sourceMessageId: string,
): Promise<BroadcastRow | undefined> {
  return broadcastRows(ctx).where('source_message_id', '=', sourceMessageId).executeTakeFirst();
}

/** The broadcast a message belongs to: its source, its report or preview card, or one of its copies. */
export async function broadcastByMessage(
  ctx: StoreContext,
  messageId: string,
): Promise<BroadcastRow | undefined> {
  const direct = await broadcastRows(ctx)
    .where('kind', '=', 'broadcast')
    .where((w) =>
      w.or([
        w('source_message_id', '=', messageId),
        w('report_message_id', '=', messageId),
        w('control_message_id', '=', messageId),
      ]),
    )
    .executeTakeFirst();
  if (direct) return direct;
  const copy = await ctx.db
    .selectFrom('deliveries')
    .select('broadcast_id')
    .where('message_id', '=', messageId)
    .executeTakeFirst();
  return copy ? getBroadcast(ctx, copy.broadcast_id) : undefined;
}

/** The sender's latest broadcast that went out (or is going out). */
export async function lastBroadcastOf(
  ctx: StoreContext,
  senderId: string,
): Promise<BroadcastRow | undefined> {
  return broadcastRows(ctx)
    .where('sender_id', '=', senderId)
    .where('kind', '=', 'broadcast')
    .where('status', 'in', ['sending', 'reporting', 'done'])
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Release a planning lease so that the broadcast is tried again later. */
export async function releaseBroadcast(
  ctx: StoreContext,
  broadcastId: string,
  note: string,
  retryAt: number,
  now: number,
): Promise<void> {
  await updateBroadcast(ctx, broadcastId)
    .set({ lease_owner: null, lease_until: retryAt, note, updated_at: now })
    .execute();
}

export async function getBroadcast(ctx: StoreContext, id: string): Promise<BroadcastRow | undefined> {
  return broadcastRows(ctx).where('id', '=', id).executeTakeFirst();
}

export async function getFile(ctx: StoreContext, broadcastId: string): Promise<StoredFile | undefined> {
  const row = await ctx.db
    .selectFrom('files')
    .selectAll()
    .where('broadcast_id', '=', broadcastId)
    .executeTakeFirst();
  return row ? { name: row.name, contentType: row.content_type, bytes: Buffer.from(row.bytes) } : undefined;
}

/**
 * Broadcasts whose every delivery is final move from 'sending' to 'reporting' (one instance wins
 * each), returning their ids.
 */
export async function completeFinishedBroadcasts(ctx: StoreContext, now: number): Promise<string[]> {
  const finished = await ctx.db
    .selectFrom('broadcasts as b')
    .select('b.id')
    .where('b.status', '=', 'sending')
    // Not while a progress card is being posted (its lease): the final report replaces that card.
    .where((w) => w.or([w('b.lease_until', 'is', null), w('b.lease_until', '<', now)]))
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('deliveries as d')
            .select(sql`1`.as('one'))
            .whereRef('d.broadcast_id', '=', 'b.id')
            .where('d.status', 'in', ['pending', 'sending']),
        ),
      ),
    )
    .limit(50)
    .execute();
  const won: string[] = [];
  for (const { id } of finished) {
    const r = await ctx.db
      .updateTable('broadcasts')
      .set({ status: 'reporting', updated_at: now, lease_owner: null, lease_until: null })
      .where('id', '=', id)
      .where('status', '=', 'sending')
      .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)]))
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 1) won.push(id);
  }
  return won;
}

/** The final report is out; `wanted` is the report version it covers (from the claimed row). */
export async function markReported(
  ctx: StoreContext,
  broadcastId: string,
  owner: string,
  reportMessageId: string | null,
  now: number,
  wanted = 0,
): Promise<void> {
  await releaseLease(
    ctx,
    'broadcasts',
    { id: broadcastId, owner, now },
    { status: 'done', report_message_id: reportMessageId, report_done: wanted },
  );
}

export async function recentBroadcasts(
  ctx: StoreContext,
  limit: number,
): Promise<Array<BroadcastRow & DeliveryCounts>> {
  const rows = await broadcastRows(ctx).orderBy('created_at', 'desc').limit(limit).execute();
  const out: Array<BroadcastRow & DeliveryCounts> = [];
  for (const r of rows) out.push({ ...r, ...(await countDeliveries(ctx, r.id)) });
  return out;
}

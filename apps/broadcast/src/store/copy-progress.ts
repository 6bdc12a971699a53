/** How far a recall or an edit has come, for the report card. */
import type { StoreContext } from './context.js';

/** Webex allows ten edits per message (docs/protocol.md §7.4). */
export const MAX_EDITS = 10;

export interface RecallProgress {
  /** Copies to remove (sent before or during the recall). */
  total: number;
  /** Deleted by us, or found already gone. */
  removed: number;
  failed: Array<{ title: string; reason: string }>;
  open: number;
}

export interface EditProgress {
  version: number;
  /** Copies showing the latest version. */
  edited: number;
  /** Copies sent. */
  total: number;
  notEdited: Array<{ title: string; reason: 'not_editable' | 'edit_limit' | 'error'; error?: string }>;
}

export async function recallProgress(ctx: StoreContext, broadcastId: string): Promise<RecallProgress> {
  const rows = await ctx.db
    .selectFrom('copy_tasks as t')
    .innerJoin('deliveries as d', 'd.id', 't.delivery_id')
    .select(['t.status', 't.error', 'd.room_title', 'd.room_id'])
    .where('t.broadcast_id', '=', broadcastId)
    .where('t.kind', '=', 'delete')
    .execute();
  const progress: RecallProgress = { total: rows.length, removed: 0, failed: [], open: 0 };
  for (const r of rows) {
    if (r.status === 'done') progress.removed++;
    else if (r.status === 'failed')
      progress.failed.push({ title: r.room_title ?? r.room_id, reason: r.error ?? 'unknown' });
    else progress.open++;
  }
  return progress;
}

export async function editProgress(
  ctx: StoreContext,
  broadcastId: string,
  version: number,
): Promise<EditProgress> {
  const copies = await ctx.db
    .selectFrom('deliveries')
    .select(['id', 'room_title', 'room_id', 'content_version', 'editable', 'edit_count'])
    .where('broadcast_id', '=', broadcastId)
    .where('status', '=', 'sent')
    .orderBy('id')
    .execute();
  const failedTasks = await ctx.db
    .selectFrom('copy_tasks')
    .select(['delivery_id', 'error'])
    .where('broadcast_id', '=', broadcastId)
    .where('kind', '=', 'edit')
    .where('version', '=', version)
    .where('status', '=', 'failed')
    .execute();
  const errors = new Map(failedTasks.map((t) => [Number(t.delivery_id), t.error ?? 'unknown']));
  const progress: EditProgress = { version, edited: 0, total: copies.length, notEdited: [] };
  for (const c of copies) {
    if (c.content_version >= version) {
      progress.edited++;
      continue;
    }
    const title = c.room_title ?? c.room_id;
    const error = errors.get(Number(c.id));
    if (!c.editable) progress.notEdited.push({ title, reason: 'not_editable' });
    else if (c.edit_count >= MAX_EDITS) progress.notEdited.push({ title, reason: 'edit_limit' });
    else if (error !== undefined) progress.notEdited.push({ title, reason: 'error', error });
  }
  return progress;
}

/**
 * Work on copies already sent: deleting them (recall) and editing them (edit propagation). A task
 * row is durable work like a delivery: claimed with a lease, rate limited, put back with a
 * `not_before` on 429, claimed again after a crash. Tasks are created by idempotent sweeps (one
 * delete per copy, one edit per copy and content version), so several instances may sweep at once.
 */
import { sql } from 'kysely';
import { getBroadcast } from './broadcasts.js';
import type { StoreContext } from './context.js';
import {
  type EditProgress,
  editProgress,
  MAX_EDITS,
  type RecallProgress,
  recallProgress,
} from './copy-progress.js';
import { claimQueued, type RequeueArgs, recountAfter, releaseLease, requeue } from './lease.js';
import type { CopyTaskKind, CopyTasksTable } from './schema.js';
import { openRows } from './work.js';

export type { EditProgress, RecallProgress } from './copy-progress.js';

export type CopyTaskRow = Omit<CopyTasksTable, 'id'> & { id: number };

export class CopyTaskStore {
  constructor(private readonly ctx: StoreContext) {}

  private get db() {
    return this.ctx.db;
  }

  /**
   * Ask for a recall (once): the broadcast is marked, copies not yet sent are cancelled. Returns
   * false when a recall was already requested.
   */
  async requestRecall(broadcastId: string, by: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('broadcasts')
      .set({ recall_state: 'requested', recall_by: by, updated_at: now })
      .where('id', '=', broadcastId)
      .where('kind', '=', 'broadcast')
      .where('recall_state', 'is', null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return false;
    await this.sweepRecall(broadcastId, now);
    return true;
  }

  /**
   * Bring a recall up to date: cancel copies not sent (pending, held, or in flight with an expired
   * lease), add a delete task for every sent copy without one, drop pending edits, and when nothing
   * is left in flight mark the recall done (one caller wins) and ask for a new report card.
   * Returns true when the recall finished in this call.
   */
  async sweepRecall(broadcastId: string, now: number): Promise<boolean> {
    await this.db
      .updateTable('deliveries')
      .set({ status: 'cancelled', lease_owner: null, lease_until: null, updated_at: now })
      .where('broadcast_id', '=', broadcastId)
      .where((w) =>
        w.or([
          w('status', 'in', ['pending', 'held']),
          w.and([w('status', '=', 'sending'), w('lease_until', '<', now)]),
        ]),
      )
      .execute();
    await this.queueTasks(broadcastId, 'delete', 0, now);
    await this.skipPendingEdits(broadcastId, now);
    if (await this.busy(broadcastId, 'delete')) return false;
    const r = await this.db
      .updateTable('broadcasts')
      .set((eb) => ({
        recall_state: 'done',
        edit_state: null,
        report_wanted: eb('report_wanted', '+', 1),
        updated_at: now,
      }))
      .where('id', '=', broadcastId)
      .where('recall_state', '=', 'requested')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** An edit of the source: store the new content as the next version and start propagating it. */
  async recordEdit(broadcastId: string, content: unknown, now: number): Promise<number | undefined> {
    const r = await this.db
      .updateTable('broadcasts')
      .set((eb) => ({
        content: JSON.stringify(content),
        content_version: eb('content_version', '+', 1),
        edit_state: 'propagating',
        updated_at: now,
      }))
      .where('id', '=', broadcastId)
      .where('recall_state', 'is', null)
      .returning('content_version')
      .executeTakeFirst();
    return r?.content_version;
  }

  /**
   * Bring an edit up to date: an edit task for every sent, editable copy behind the current
   * version (and under Webex's edit limit); when no copy is in flight and no task open, the edit is
   * done (one caller wins) and a new report card is wanted. Returns true when it finished here.
   */
  async sweepEdit(broadcastId: string, now: number): Promise<boolean> {
    const row = await getBroadcast(this.ctx, broadcastId);
    if (row?.edit_state !== 'propagating') return false;
    const version = row.content_version;
    await this.queueTasks(broadcastId, 'edit', version, now);
    // Older versions still queued are superseded: the newer task shows the latest content.
    await this.skipPendingEdits(broadcastId, now, version);
    if (await this.busy(broadcastId, 'edit')) return false;
    const inFlight = await this.db
      .selectFrom('deliveries')
      .select('id')
      .where('broadcast_id', '=', broadcastId)
      .where('status', 'in', ['pending', 'sending'])
      .limit(1)
      .executeTakeFirst();
    if (inFlight) return false;
    const r = await this.db
      .updateTable('broadcasts')
      .set((eb) => ({ edit_state: null, report_wanted: eb('report_wanted', '+', 1), updated_at: now }))
      .where('id', '=', broadcastId)
      .where('edit_state', '=', 'propagating')
      .where('content_version', '=', version)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /**
   * A pending task of `kind` for each sent copy of the broadcast: every copy for a delete; for an
   * edit to `version`, each copy Webex still lets us edit that shows an older version. Sweeps may
   * repeat and run at once: a copy's task for a kind and version is added once (unique key).
   */
  private async queueTasks(
    broadcastId: string,
    kind: CopyTaskKind,
    version: number,
    now: number,
  ): Promise<void> {
    const r = await this.db
      .insertInto('copy_tasks')
      .columns([
        'broadcast_id',
        'delivery_id',
        'kind',
        'version',
        'status',
        'attempts',
        'not_before',
        'updated_at',
      ])
      .expression((eb) => {
        let copies = eb
          .selectFrom('deliveries as d')
          .select([
            'd.broadcast_id',
            'd.id',
            sql<string>`${sql.lit(kind)}`.as('kind'),
            sql<number>`${version}`.as('version'),
            sql<string>`'pending'`.as('status'),
            sql<number>`0`.as('attempts'),
            sql<number>`${now}`.as('not_before'),
            sql<number>`${now}`.as('updated_at'),
          ])
          .where('d.broadcast_id', '=', broadcastId)
          .where('d.status', '=', 'sent');
        if (kind === 'edit')
          copies = copies
            .where('d.editable', '=', 1)
            .where('d.edit_count', '<', MAX_EDITS)
            .where('d.content_version', '<', version);
        return copies;
      })
      .onConflict((oc) => oc.columns(['delivery_id', 'kind', 'version']).doNothing())
      .executeTakeFirst();
    await recountAfter(this.ctx, 'copy_tasks', Number(r.numInsertedOrUpdatedRows ?? 0));
  }

  /** Pending edits of the broadcast will not be made (all of them, or those below `belowVersion`). */
  private async skipPendingEdits(broadcastId: string, now: number, belowVersion?: number): Promise<void> {
    let q = this.db
      .updateTable('copy_tasks')
      .set({ status: 'skipped', updated_at: now })
      .where('broadcast_id', '=', broadcastId)
      .where('kind', '=', 'edit')
      .where('status', '=', 'pending');
    if (belowVersion !== undefined) q = q.where('version', '<', belowVersion);
    await q.execute();
  }

  /** Broadcasts with a recall or an edit under way (for the sweeper). */
  async underWay(limit: number): Promise<Array<{ id: string; recall: boolean; edit: boolean }>> {
    const rows = await this.db
      .selectFrom('broadcasts')
      .select(['id', 'recall_state', 'edit_state'])
      .where((w) => w.or([w('recall_state', '=', 'requested'), w('edit_state', '=', 'propagating')]))
      .orderBy('updated_at')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      id: r.id,
      recall: r.recall_state === 'requested',
      edit: r.edit_state === 'propagating',
    }));
  }

  private async busy(broadcastId: string, kind: 'delete' | 'edit'): Promise<boolean> {
    const deliveries =
      kind === 'delete'
        ? await this.db
            .selectFrom('deliveries')
            .select('id')
            .where('broadcast_id', '=', broadcastId)
            .where('status', '=', 'sending')
            .limit(1)
            .executeTakeFirst()
        : undefined;
    if (deliveries) return true;
    const task = await this.db
      .selectFrom('copy_tasks')
      .select('id')
      .where('broadcast_id', '=', broadcastId)
      .where('kind', '=', kind)
      .where('status', 'in', ['pending', 'working'])
      .limit(1)
      .executeTakeFirst();
    return task !== undefined;
  }

  /** Lease up to `limit` due tasks: pending ones, and working ones whose lease expired. */
  async claim(owner: string, now: number, leaseMs: number, limit: number): Promise<CopyTaskRow[]> {
    const rows = await claimQueued(this.ctx, 'copy_tasks', { owner, now, leaseMs, limit });
    return rows.map((r) => ({ ...r, delivery_id: Number(r.delivery_id) }));
  }

  /** A task ended (`done` with a result, or `failed` with an error); false when the lease was lost. */
  async finish(
    id: number,
    owner: string,
    outcome: { status: 'done'; result: string } | { status: 'failed'; error: string },
    now: number,
  ): Promise<boolean> {
    return releaseLease(
      this.ctx,
      'copy_tasks',
      { id, owner, now },
      {
        status: outcome.status,
        result: outcome.status === 'done' ? outcome.result : null,
        error: outcome.status === 'failed' ? outcome.error : null,
      },
      (row) => row('status', '=', 'working'),
    );
  }

  /**
   * Back in the queue, due at `notBefore`. A wait Webex asked for (429) is not the work's fault:
   * with `refundAttempt` the claim does not count toward `max_attempts`.
   */
  retryLater(...args: RequeueArgs): Promise<void> {
    return requeue(this.ctx, 'copy_tasks', ...args);
  }

  /** A copy now shows `version` (one more edit used), or cannot be edited any more. */
  async copyEdited(deliveryId: number, version: number, now: number): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set((eb) => ({ content_version: version, edit_count: eb('edit_count', '+', 1), updated_at: now }))
      .where('id', '=', deliveryId)
      .where('content_version', '<', version)
      .execute();
  }

  async copyNotEditable(
    deliveryId: number,
    reason: 'edit_limit' | 'not_editable',
    now: number,
  ): Promise<void> {
    await this.db
      .updateTable('deliveries')
      .set(
        reason === 'edit_limit'
          ? { edit_count: MAX_EDITS, updated_at: now }
          : { editable: 0, updated_at: now },
      )
      .where('id', '=', deliveryId)
      .execute();
  }

  async openCount(): Promise<number> {
    return openRows(this.ctx, 'copy_tasks');
  }

  async recallProgress(broadcastId: string): Promise<RecallProgress> {
    return recallProgress(this.ctx, broadcastId);
  }

  async editProgress(broadcastId: string, version: number): Promise<EditProgress> {
    return editProgress(this.ctx, broadcastId, version);
  }
}

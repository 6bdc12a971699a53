/** How long the store keeps what it no longer needs, and the batched deletes that forget it. */
import type { DeleteResult } from 'kysely';
import type { StoreContext } from './context.js';

/**
 * How long an event key is remembered (ms): 7 days. The duplicates it guards against arrive within
 * minutes: Webex redelivers a webhook for a few minutes at most, and Mercury reconciliation asks
 * REST only for what came after the last event seen (and never before the connection started).
 * A week is far past both. Forgetting a key cannot send a broadcast twice anyway: a source message
 * gets at most one broadcast, as `broadcasts.source_message_id` is unique.
 */
export const SEEN_RETENTION_MS = 7 * 24 * 3600 * 1000;

/** Event keys `pruneSeen` deletes in one call at most, unless told otherwise. */
export const PRUNE_SEEN_BATCH = 5000;

/**
 * How long a file's bytes stay after its broadcast ended (done, refused or rejected, counted from
 * its last change), ms: 7 days. Nothing sends a file after the end: recall deletes copies, and
 * Webex does not edit a message that has a file (docs/protocol.md §7.4). The broadcast, its copies and the file's
 * name stay.
 */
export const FILE_RETENTION_MS = 7 * 24 * 3600 * 1000;

/** Files `pruneFiles` deletes in one call at most, unless told otherwise (each may be large). */
export const PRUNE_FILES_BATCH = 100;

/**
 * Forget event keys recorded before `before` (ms), the oldest first and at most `limit` of them,
 * so that one call never holds the table long; call again while it returns `limit`. Returns how
 * many were deleted. A forgotten key counts as new if it ever comes again (see SEEN_RETENTION_MS).
 */
export const pruneSeen = batchedDelete('pruneSeen', PRUNE_SEEN_BATCH, (ctx, before, limit) =>
  ctx.db.deleteFrom('seen_events').where('key', 'in', (eb) => {
    let q = eb
      .selectFrom('seen_events as s')
      .select('s.key')
      .where('s.created_at', '<', before)
      .orderBy('s.created_at')
      .limit(limit);
    // Two instances pruning at once take different keys instead of waiting for each other.
    if (ctx.dialect === 'postgres') q = q.forUpdate().skipLocked();
    return q;
  }),
);

/**
 * Delete the stored file bytes of broadcasts that ended (done, refused, rejected) before `before`
 * (ms), at most `limit` of them; call again while it returns `limit`. Returns how many went.
 */
export const pruneFiles = batchedDelete('pruneFiles', PRUNE_FILES_BATCH, (ctx, before, limit) =>
  ctx.db
    .deleteFrom('files')
    .where('broadcast_id', 'in', (eb) =>
      eb
        .selectFrom('broadcasts as b')
        .innerJoin('files as f', 'f.broadcast_id', 'b.id')
        .select('b.id')
        .where('b.status', 'in', ['done', 'refused', 'rejected'])
        .where('b.updated_at', '<', before)
        .orderBy('b.updated_at')
        .limit(limit),
    ),
);

/**
 * A prune named `name`: `(ctx, before, limit = batch)` runs `statement`, a delete of at most
 * `limit` rows (a positive integer) recorded before `before`, and returns how many it deleted.
 */
function batchedDelete(
  name: string,
  batch: number,
  statement: (
    ctx: StoreContext,
    before: number,
    limit: number,
  ) => { executeTakeFirst(): Promise<DeleteResult> },
) {
  return async (ctx: StoreContext, before: number, limit: number = batch): Promise<number> => {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`${name}: limit must be a positive integer`);
    const r = await statement(ctx, before, limit).executeTakeFirst();
    return Number(r.numDeletedRows);
  };
}

/**
 * The durable store: kysely over SQLite (better-sqlite3, a file; the default) or PostgreSQL (pg).
 * A delivery row is the unit of truth: claimed with a lease, sent, marked with the created message
 * id. After a crash, expired leases are claimed again, so nothing is lost and at most the one send
 * in flight repeats. On PostgreSQL several instances share the rows (`FOR UPDATE SKIP LOCKED`).
 */
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { CopyTaskStore } from './copy-tasks.js';
import { claimLeases, claimQueued, releaseLease, requeue } from './lease.js';
import { type Dialect, StaticMigrations } from './migrations.js';
import type { BroadcastStatus, BroadcastsTable, Database, DeliveriesTable } from './schema.js';

export type BroadcastRow = BroadcastsTable;
export type DeliveryRow = Omit<DeliveriesTable, 'id'> & { id: number };

export interface NewBroadcast {
  id: string;
  sourceMessageId: string;
  sourceRoomId: string;
  senderId: string;
  request: unknown;
  /** Default `broadcast`. */
  kind?: 'broadcast' | 'command' | undefined;
}

export interface PlannedDelivery {
  roomId: string;
  roomType: 'direct' | 'group';
  title?: string | undefined;
  /** Known before sending (e.g. `not_moderator`). */
  note?: string | undefined;
}

/** What a plan leads to: copies go out now, or wait for a preview's Send or an approval. */
export type PlanStatus = 'sending' | 'previewed' | 'awaiting_approval';

export interface StoredFile {
  name: string;
  contentType: string;
  bytes: Buffer;
}

export interface DeliveryCounts {
  held: number;
  pending: number;
  sending: number;
  sent: number;
  failed: number;
  cancelled: number;
}

/** Below this many destinations no progress card is posted while sending, only the final one. */
export const PROGRESS_CARD_MIN = 20;
/**
 * While a large broadcast is sending, a new report card at most this often (ms). Each card is a
 * post plus a delete of the previous one, so a time bound (not a share of the copies) keeps the
 * REST cost of a short broadcast at one extra card, whatever its size.
 */
export const PROGRESS_CARD_INTERVAL_MS = 60_000;

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

/** Migration tries when a concurrent DROP elsewhere in the database races kysely's catalog read. */
const MIGRATE_ATTEMPTS = 5;

export interface StoreOptions {
  /** PostgreSQL connection string; without it SQLite at `sqlitePath`. */
  databaseUrl?: string | undefined;
  /** SQLite file (or ':memory:'). */
  sqlitePath?: string | undefined;
  /** PostgreSQL schema to use (created if missing); default `public`. Tests use one each. */
  schema?: string | undefined;
}

export class Store {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** Deletes and edits of copies already sent. */
  readonly tasks: CopyTaskStore;
  private readonly schema: string | undefined;

  constructor(options: StoreOptions) {
    if (options.databaseUrl) {
      this.dialect = 'postgres';
      const schema = options.schema;
      if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
        throw new Error('invalid schema name');
      this.schema = schema;
      const pool = new pg.Pool({
        connectionString: options.databaseUrl,
        max: 5,
        ...(schema ? { options: `-c search_path=${schema}` } : {}),
        // bigint columns hold millisecond times: read them as numbers.
        types: {
          getTypeParser: ((oid: number, format?: string) =>
            oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as never,
        },
      });
      this.db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    } else {
      this.dialect = 'sqlite';
      this.schema = undefined;
      const file = new SQLite(options.sqlitePath ?? './herald.sqlite');
      file.pragma('journal_mode = WAL');
      file.pragma('busy_timeout = 5000');
      file.defaultSafeIntegers(false);
      this.db = new Kysely<Database>({ dialect: new SqliteDialect({ database: file }) });
    }
    this.tasks = new CopyTaskStore(this);
  }

  async migrate(): Promise<void> {
    if (this.schema) await sql`create schema if not exists ${sql.id(this.schema)}`.execute(this.db);
    const migrator = new Migrator({
      db: this.db,
      provider: new StaticMigrations(this.dialect),
      ...(this.schema ? { migrationTableSchema: this.schema } : {}),
    });
    // kysely's Migrator first reads the catalog of every schema in the database; a schema or table
    // that someone else drops meanwhile (tests drop theirs, other apps may share the database)
    // fails that read (3F000, 42P01) though nothing of ours changed. Migrations run in a
    // transaction on PostgreSQL, so trying again shortly after is safe.
    for (let attempt = 1; ; attempt++) {
      const { error } = await migrator.migrateToLatest();
      if (!error) return;
      const code = (error as { code?: unknown }).code;
      const raced = this.dialect === 'postgres' && (code === '3F000' || code === '42P01');
      if (!raced || attempt >= MIGRATE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  /** Record an event key; true the first time it is seen (across instances). */
  async markSeen(key: string, now: number): Promise<boolean> {
    const r = await this.db
      .insertInto('seen_events')
      .values({ key, created_at: now })
      .onConflict((oc) => oc.column('key').doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /**
   * Forget event keys recorded before `before` (ms), the oldest first and at most `limit` of them,
   * so that one call never holds the table long; call again while it returns `limit`. Returns how
   * many were deleted. A forgotten key counts as new if it ever comes again (see SEEN_RETENTION_MS).
   */
  async pruneSeen(before: number, limit: number = PRUNE_SEEN_BATCH): Promise<number> {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError('pruneSeen: limit must be a positive integer');
    const r = await this.db
      .deleteFrom('seen_events')
      .where('key', 'in', (eb) => {
        let q = eb
          .selectFrom('seen_events as s')
          .select('s.key')
          .where('s.created_at', '<', before)
          .orderBy('s.created_at')
          .limit(limit);
        // Two instances pruning at once take different keys instead of waiting for each other.
        if (this.dialect === 'postgres') q = q.forUpdate().skipLocked();
        return q;
      })
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /**
   * Delete the stored file bytes of broadcasts that ended (done, refused, rejected) before `before`
   * (ms), at most `limit` of them; call again while it returns `limit`. Returns how many went.
   */
  async pruneFiles(before: number, limit: number = PRUNE_FILES_BATCH): Promise<number> {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError('pruneFiles: limit must be a positive integer');
    const r = await this.db
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
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /** Create a broadcast for a source message; false when that message already has one. */
  async createBroadcast(b: NewBroadcast, now: number): Promise<boolean> {
    const r = await this.db
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
  async claimBroadcasts(
    status: 'received' | 'reporting',
    owner: string,
    now: number,
    leaseMs: number,
    limit: number,
  ): Promise<BroadcastRow[]> {
    return claimLeases(this, 'broadcasts', {
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

  /**
   * Store the plan of a leased broadcast: its content, its file and one delivery row per
   * destination, pending when `status` is `sending`, held otherwise (a preview, an approval). A
   * preview or approval card, and the progress card of a large broadcast, are wanted at once.
   */
  async savePlan(
    broadcastId: string,
    owner: string,
    content: unknown,
    file: StoredFile | undefined,
    deliveries: PlannedDelivery[],
    now: number,
    status: PlanStatus = 'sending',
  ): Promise<boolean> {
    const wantCard = status !== 'sending' || deliveries.length >= PROGRESS_CARD_MIN;
    return this.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('broadcasts')
        .set({
          status,
          content: JSON.stringify(content),
          total: deliveries.length,
          report_wanted: wantCard && deliveries.length > 0 ? 1 : 0,
          lease_owner: null,
          lease_until: null,
          updated_at: now,
        })
        .where('id', '=', broadcastId)
        .where('status', '=', 'received')
        .where('lease_owner', '=', owner)
        .executeTakeFirst();
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
      for (let i = 0; i < deliveries.length; i += 200) {
        const chunk = deliveries.slice(i, i + 200);
        await trx
          .insertInto('deliveries')
          .values(
            chunk.map((d) => ({
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
      return true;
    });
  }

  /** End a broadcast without deliveries (sender refused, nothing to send, planning failed for good, a command). */
  async finishBroadcast(
    broadcastId: string,
    status: 'refused' | 'done',
    note: string | null,
    now: number,
    kind?: 'command',
  ): Promise<void> {
    await this.db
      .updateTable('broadcasts')
      .set({ status, note, lease_owner: null, lease_until: null, updated_at: now, ...(kind ? { kind } : {}) })
      .where('id', '=', broadcastId)
      .execute();
  }

  /**
   * A preview's Send or an approver's decision: move a broadcast from `from` to `to` (once, whoever
   * wins), releasing its held deliveries when it goes out and cancelling them when rejected.
   */
  async decide(
    broadcastId: string,
    from: 'previewed' | 'awaiting_approval',
    to: 'sending' | 'awaiting_approval' | 'rejected',
    decidedBy: string | null,
    now: number,
  ): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
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

  /** The broadcast created by a source message. */
  async broadcastBySource(sourceMessageId: string): Promise<BroadcastRow | undefined> {
    return this.db
      .selectFrom('broadcasts')
      .selectAll()
      .where('source_message_id', '=', sourceMessageId)
      .executeTakeFirst();
  }

  /** The broadcast a message belongs to: its source, its report or preview card, or one of its copies. */
  async broadcastByMessage(messageId: string): Promise<BroadcastRow | undefined> {
    const direct = await this.db
      .selectFrom('broadcasts')
      .selectAll()
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
    const copy = await this.db
      .selectFrom('deliveries')
      .select('broadcast_id')
      .where('message_id', '=', messageId)
      .executeTakeFirst();
    return copy ? this.getBroadcast(copy.broadcast_id) : undefined;
  }

  /** The sender's latest broadcast that went out (or is going out). */
  async lastBroadcastOf(senderId: string): Promise<BroadcastRow | undefined> {
    return this.db
      .selectFrom('broadcasts')
      .selectAll()
      .where('sender_id', '=', senderId)
      .where('kind', '=', 'broadcast')
      .where('status', 'in', ['sending', 'reporting', 'done'])
      .orderBy('created_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** Remember the preview or approval card. */
  async setControlMessage(broadcastId: string, messageId: string, now: number): Promise<void> {
    await this.db
      .updateTable('broadcasts')
      .set({ control_message_id: messageId, updated_at: now })
      .where('id', '=', broadcastId)
      .execute();
  }

  /** Ask for the report card to be posted again (a milestone, a recall or edit finished). */
  async wantReport(broadcastId: string, now: number): Promise<void> {
    await this.db
      .updateTable('broadcasts')
      .set((eb) => ({ report_wanted: eb('report_wanted', '+', 1), updated_at: now }))
      .where('id', '=', broadcastId)
      .execute();
  }

  /**
   * Broadcasts still sending copies a minute (PROGRESS_CARD_INTERVAL_MS) after their last progress
   * card: ask for a new card (large broadcasts only, see PROGRESS_CARD_MIN). `report_milestone`
   * counts the intervals since the broadcast was created. Returns how many were bumped.
   */
  async bumpMilestones(now: number): Promise<number> {
    const rows = await this.db
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
      const c = await this.countDeliveries(row.id);
      if (c.pending + c.sending === 0) continue; // the final report comes next
      const r = await this.db
        .updateTable('broadcasts')
        .set((eb) => ({
          report_milestone: milestone,
          report_wanted: eb('report_wanted', '+', 1),
          updated_at: now,
        }))
        .where('id', '=', row.id)
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
  async claimCardUpdate(owner: string, now: number, leaseMs: number): Promise<BroadcastRow | undefined> {
    const statuses: BroadcastStatus[] = ['sending', 'done', 'previewed', 'awaiting_approval'];
    // A lease only: no attempt is counted and `updated_at` stays, keeping the row's place in line.
    const [row] = await claimLeases(this, 'broadcasts', {
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
  async setReportMessage(broadcastId: string, owner: string, messageId: string, now: number): Promise<void> {
    await this.db
      .updateTable('broadcasts')
      .set({ report_message_id: messageId, updated_at: now })
      .where('id', '=', broadcastId)
      .where('lease_owner', '=', owner)
      .execute();
  }

  /** The card for version `wanted` is out: remember it and free the lease. */
  async cardPosted(
    broadcastId: string,
    owner: string,
    wanted: number,
    reportMessageId: string | null,
    now: number,
  ): Promise<void> {
    await releaseLease(
      this,
      'broadcasts',
      { id: broadcastId, owner, now },
      { report_done: wanted, ...(reportMessageId ? { report_message_id: reportMessageId } : {}) },
    );
  }

  /** Release a planning lease so that the broadcast is tried again later. */
  async releaseBroadcast(broadcastId: string, note: string, retryAt: number, now: number): Promise<void> {
    await this.db
      .updateTable('broadcasts')
      .set({ lease_owner: null, lease_until: retryAt, note, updated_at: now })
      .where('id', '=', broadcastId)
      .execute();
  }

  async getBroadcast(id: string): Promise<BroadcastRow | undefined> {
    return this.db.selectFrom('broadcasts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async getFile(broadcastId: string): Promise<StoredFile | undefined> {
    const row = await this.db
      .selectFrom('files')
      .selectAll()
      .where('broadcast_id', '=', broadcastId)
      .executeTakeFirst();
    return row ? { name: row.name, contentType: row.content_type, bytes: Buffer.from(row.bytes) } : undefined;
  }

  /** Lease up to `limit` deliveries that are due: pending ones, and sending ones whose lease expired. */
  async claimDeliveries(owner: string, now: number, leaseMs: number, limit: number): Promise<DeliveryRow[]> {
    return claimQueued(this, 'deliveries', { owner, now, leaseMs, limit });
  }

  /**
   * Record the created message, the content version it shows and whether Webex can edit it; false
   * when the lease was lost to another claimer meanwhile.
   */
  async markSent(
    id: number,
    owner: string,
    messageId: string,
    now: number,
    copy: { version: number; editable: boolean } = { version: 1, editable: true },
  ): Promise<boolean> {
    return releaseLease(
      this,
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

  async markFailed(id: number, owner: string, error: string, now: number): Promise<void> {
    await releaseLease(this, 'deliveries', { id, owner, now }, { status: 'failed', error });
  }

  /**
   * Back in the queue, due at `notBefore`. A wait Webex asked for (429) is not the work's fault:
   * with `refundAttempt` the claim does not count toward `max_attempts`.
   */
  async retryLater(
    id: number,
    owner: string,
    notBefore: number,
    error: string,
    now: number,
    refundAttempt = false,
  ): Promise<void> {
    await requeue(this, 'deliveries', { id, owner, now }, notBefore, error, refundAttempt);
  }

  /**
   * Broadcasts whose every delivery is final move from 'sending' to 'reporting' (one instance wins
   * each), returning their ids.
   */
  async completeFinishedBroadcasts(now: number): Promise<string[]> {
    const finished = await this.db
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
      const r = await this.db
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
  async markReported(
    broadcastId: string,
    owner: string,
    reportMessageId: string | null,
    now: number,
    wanted = 0,
  ): Promise<void> {
    await releaseLease(
      this,
      'broadcasts',
      { id: broadcastId, owner, now },
      { status: 'done', report_message_id: reportMessageId, report_done: wanted },
    );
  }

  async deliveriesOf(broadcastId: string): Promise<DeliveryRow[]> {
    const rows = await this.db
      .selectFrom('deliveries')
      .selectAll()
      .where('broadcast_id', '=', broadcastId)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  async deliveriesOfIds(ids: number[]): Promise<DeliveryRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.selectFrom('deliveries').selectAll().where('id', 'in', ids).execute();
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  async countDeliveries(broadcastId?: string): Promise<DeliveryCounts> {
    let q = this.db.selectFrom('deliveries').select(['status', (eb) => eb.fn.countAll<number>().as('n')]);
    if (broadcastId) q = q.where('broadcast_id', '=', broadcastId);
    const rows = await q.groupBy('status').execute();
    const counts: DeliveryCounts = { held: 0, pending: 0, sending: 0, sent: 0, failed: 0, cancelled: 0 };
    for (const r of rows) counts[r.status] = Number(r.n);
    return counts;
  }

  async recentBroadcasts(limit: number): Promise<Array<BroadcastRow & DeliveryCounts>> {
    const rows = await this.db
      .selectFrom('broadcasts')
      .selectAll()
      .orderBy('created_at', 'desc')
      .limit(limit)
      .execute();
    const out: Array<BroadcastRow & DeliveryCounts> = [];
    for (const r of rows) out.push({ ...r, ...(await this.countDeliveries(r.id)) });
    return out;
  }

  /** True the first time a notice of `kind` is recorded for the room. */
  async noticeOnce(roomId: string, kind: string, now: number): Promise<boolean> {
    const r = await this.db
      .insertInto('notices')
      .values({ room_id: roomId, kind, created_at: now })
      .onConflict((oc) => oc.columns(['room_id', 'kind']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async rememberDirectRoom(personId: string, roomId: string): Promise<void> {
    await this.db
      .insertInto('direct_rooms')
      .values({ person_id: personId, room_id: roomId })
      .onConflict((oc) => oc.column('person_id').doUpdateSet({ room_id: roomId }))
      .execute();
  }

  async directRoomOf(personId: string): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('direct_rooms')
      .select('room_id')
      .where('person_id', '=', personId)
      .executeTakeFirst();
    return r?.room_id;
  }

  /**
   * At start: leases held by earlier runs of this same instance are released at once (that run is
   * gone), so a restart after a crash does not wait for them to expire.
   */
  async releaseLeasesOf(instancePrefix: string, now: number): Promise<number> {
    const like = `${instancePrefix.replace(/[%_\\]/g, (c) => `\\${c}`)}:%`;
    const d = await this.db
      .updateTable('deliveries')
      .set({ status: 'pending', lease_owner: null, lease_until: null, not_before: now, updated_at: now })
      .where('status', '=', 'sending')
      .where(sql<boolean>`lease_owner like ${like} escape '\\'`)
      .executeTakeFirst();
    await this.db
      .updateTable('broadcasts')
      .set({ lease_owner: null, lease_until: null, updated_at: now })
      .where(sql<boolean>`lease_owner like ${like} escape '\\'`)
      .execute();
    const t = await this.db
      .updateTable('copy_tasks')
      .set({ status: 'pending', lease_owner: null, lease_until: null, not_before: now, updated_at: now })
      .where('status', '=', 'working')
      .where(sql<boolean>`lease_owner like ${like} escape '\\'`)
      .executeTakeFirst();
    return Number(d.numUpdatedRows) + Number(t.numUpdatedRows);
  }

  /** Queue depth for metrics: deliveries, deletes and edits pending or in flight. */
  async queueDepth(): Promise<number> {
    const r = await this.db
      .selectFrom('deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', 'in', ['pending', 'sending'])
      .executeTakeFirst();
    return Number(r?.n ?? 0) + (await this.tasks.openCount());
  }

  /**
   * Nothing left to do: no broadcast being planned, sent or reported, no recall or edit under
   * way, no card waiting to be posted, no task open. Previews and approvals may wait for people.
   */
  async isIdle(): Promise<boolean> {
    const busy = await this.db
      .selectFrom('broadcasts')
      .select('id')
      .where((w) =>
        w.or([
          w('status', 'in', ['received', 'sending', 'reporting']),
          w('recall_state', '=', 'requested'),
          w('edit_state', '=', 'propagating'),
          w('report_wanted', '>', w.ref('report_done')),
        ]),
      )
      .limit(1)
      .executeTakeFirst();
    return !busy && (await this.tasks.openCount()) === 0;
  }
}

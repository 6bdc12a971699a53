/**
 * The durable store, one object over its parts (each part is one kind of row: broadcasts.ts,
 * plan.ts, deliveries.ts, cards.ts, copy-tasks.ts, events.ts, retention.ts, work.ts).
 *
 * A delivery row is the unit of truth: claimed with a lease, sent, marked with the created message
 * id. After a crash, expired leases are claimed again, so nothing is lost, and per worker at most
 * the send in flight and the copy whose row was being written repeat. On PostgreSQL several
 * instances share the rows (`FOR UPDATE SKIP LOCKED`).
 */
import type { Kysely } from 'kysely';
import * as broadcasts from './broadcasts.js';
import * as cards from './cards.js';
import { type Connection, connect, migrate, type StoreOptions } from './connection.js';
import type { Dialect, StoreContext } from './context.js';
import { CopyTaskStore } from './copy-tasks.js';
import * as deliveries from './deliveries.js';
import * as events from './events.js';
import * as plan from './plan.js';
import * as rateBudget from './rate-budget.js';
import * as retention from './retention.js';
import type { Database } from './schema.js';
import { WorkSignal } from './signal.js';
import * as work from './work.js';

export type { StoreOptions } from './connection.js';
export type { StoreContext } from './context.js';
export {
  FILE_RETENTION_MS,
  PRUNE_FILES_BATCH,
  PRUNE_SEEN_BATCH,
  SEEN_RETENTION_MS,
} from './retention.js';
export type {
  BroadcastRow,
  DeliveryCounts,
  DeliveryRow,
  PlannedDelivery,
  PlanStatus,
  StoredFile,
} from './rows.js';

/** A store function with its context bound: the facade's methods keep the parts' signatures and docs. */
function on<A extends unknown[], R>(ctx: StoreContext, f: (ctx: StoreContext, ...args: A) => R) {
  return (...args: A): R => f(ctx, ...args);
}

export class Store implements StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** PostgreSQL: the connection that records sent copies, its commits not waiting for the disk (connection.ts). */
  readonly marksDb: Kysely<Database> | undefined;
  /** SQLite on a file: move the statements to the worker thread ahead of a long write (context.ts). */
  readonly expectBusy: (() => void) | undefined;
  /** Deletes and edits of copies already sent. */
  readonly tasks: CopyTaskStore;
  /** New work: wakes the workers here and, on PostgreSQL, in the other instances. */
  readonly signal: WorkSignal;
  private readonly conn: Connection;

  constructor(options: StoreOptions) {
    this.conn = connect(options);
    this.db = this.conn.db;
    this.dialect = this.conn.dialect;
    this.marksDb = this.conn.marksDb;
    this.expectBusy = this.conn.expectBusy;
    this.tasks = new CopyTaskStore(this);
    this.signal = new WorkSignal(this, this.conn.databaseUrl, this.conn.schema);
  }

  async migrate(): Promise<void> {
    await migrate(this.conn);
  }

  async close(): Promise<void> {
    await this.signal.close();
    await this.db.destroy();
    await this.marksDb?.destroy();
  }

  // events.ts
  readonly markSeen = on(this, events.markSeen);
  readonly noticeOnce = on(this, events.noticeOnce);
  readonly rememberDirectRoom = on(this, events.rememberDirectRoom);
  readonly directRoomOf = on(this, events.directRoomOf);
  // retention.ts
  readonly pruneSeen = on(this, retention.pruneSeen);
  readonly pruneFiles = on(this, retention.pruneFiles);
  // broadcasts.ts
  readonly createBroadcast = on(this, broadcasts.createBroadcast);
  readonly claimBroadcasts = on(this, broadcasts.claimBroadcasts);
  readonly finishBroadcast = on(this, broadcasts.finishBroadcast);
  readonly broadcastBySource = on(this, broadcasts.broadcastBySource);
  readonly broadcastByMessage = on(this, broadcasts.broadcastByMessage);
  readonly lastBroadcastOf = on(this, broadcasts.lastBroadcastOf);
  readonly releaseBroadcast = on(this, broadcasts.releaseBroadcast);
  readonly getBroadcast = on(this, broadcasts.getBroadcast);
  readonly getFile = on(this, broadcasts.getFile);
  readonly completeFinishedBroadcasts = on(this, broadcasts.completeFinishedBroadcasts);
  readonly markReported = on(this, broadcasts.markReported);
  readonly recentBroadcasts = on(this, broadcasts.recentBroadcasts);
  // plan.ts
  readonly savePlan = on(this, plan.savePlan);
  readonly decide = on(this, plan.decide);
  // cards.ts
  readonly setControlMessage = on(this, cards.setControlMessage);
  readonly wantReport = on(this, cards.wantReport);
  readonly bumpMilestones = on(this, cards.bumpMilestones);
  readonly claimCardUpdate = on(this, cards.claimCardUpdate);
  readonly setReportMessage = on(this, cards.setReportMessage);
  readonly cardPosted = on(this, cards.cardPosted);
  // deliveries.ts
  readonly claimDeliveries = on(this, deliveries.claimDeliveries);
  readonly unclaimDeliveries = on(this, deliveries.unclaimDeliveries);
  private readonly sentMarks = new deliveries.SentMarks(this);
  /**
   * Record the created message, the content version it shows and whether Webex can edit it; false
   * when the lease was lost to another claimer meanwhile. Marks that arrive together are written
   * in one statement (`SentMarks`).
   */
  readonly markSent = (...a: Parameters<deliveries.SentMarks['mark']>) => this.sentMarks.mark(...a);
  /** A worker waits for the mark of delivery `id`: write it without lingering. */
  readonly hurryMark = (id: number) => this.sentMarks.hurry(id);
  readonly markFailed = on(this, deliveries.markFailed);
  readonly retryLater = on(this, deliveries.retryLater);
  readonly deliveriesOf = on(this, deliveries.deliveriesOf);
  readonly deliveriesOfIds = on(this, deliveries.deliveriesOfIds);
  readonly plannedSpaces = on(this, deliveries.plannedSpaces);
  readonly countDeliveries = on(this, deliveries.countDeliveries);
  readonly failedDeliveries = on(this, deliveries.failedDeliveries);
  // rate-budget.ts
  readonly ensureBudget = on(this, rateBudget.ensureBudget);
  readonly takeBudget = on(this, rateBudget.takeBudget);
  readonly pauseBudget = on(this, rateBudget.pauseBudget);
  // work.ts
  readonly releaseLeasesOf = on(this, work.releaseLeasesOf);
  readonly queueDepth = on(this, work.queueDepth);
  readonly isIdle = on(this, work.isIdle);
  readonly hasDueWork = on(this, work.hasDueWork);
  readonly nextDue = on(this, work.nextDue);
}

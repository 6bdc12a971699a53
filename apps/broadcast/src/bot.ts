/**
 * The broadcast bot's core, transport-free: events in (from Mercury or webhooks, the same typed
 * events), durable work in the store, copies and reports out over REST.
 *
 * receiver → event → dedupe (store) → policy → plan → deliveries (store) → dispatcher → REST → report
 *
 * Later work on the same broadcast follows the same shape: a button, a `recall` or an edit changes
 * the store (interactions.ts); sweeps turn that into delete/edit tasks; workers perform them; the
 * report card is posted again from the store's state.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  eventKey,
  type Logger,
  sameId,
  silentLogger,
  WebexApiError,
  type WebexClient,
  type WebexEvent,
} from '@herald/webex';
import type { BroadcastConfig } from './config.js';
import { type InteractionDeps, onCardAction, onMessageUpdated, onRecallCommand } from './interactions.js';
import { templates as loadTemplates, type Templates } from './locales.js';
import { onBotAdded } from './membership.js';
import type { BroadcastRequest } from './pipeline/content.js';
import { type CopyWorkDeps, performTask } from './pipeline/copy-work.js';
import { ContentCache, type Delivered, type DispatcherDeps, deliver } from './pipeline/dispatcher.js';
import { RateLimiter, SharedRateLimiter } from './pipeline/limiter.js';
import { type PlannerDeps, planBroadcast } from './pipeline/planner.js';
import { postCard, postFinalReport } from './pipeline/reporter.js';
import type { BotSelf } from './policy.js';
import { workBackoffMs } from './retry.js';
import type { DeliveryRow } from './store/rows.js';
import {
  FILE_RETENTION_MS,
  PRUNE_FILES_BATCH,
  PRUNE_SEEN_BATCH,
  SEEN_RETENTION_MS,
  type Store,
} from './store/store.js';
import { WorkLoop } from './work-loop.js';

export interface BotOptions {
  client: WebexClient;
  /**
   * Client for sending copies; default `client`. The app gives it a retry policy that hands every
   * 429 back (`maxWaitS: 0`), so that the shared limiter and the durable queue do the waiting.
   */
  sendClient?: WebexClient | undefined;
  store: Store;
  config: BroadcastConfig;
  locale: string;
  logger?: Logger | undefined;
  /** Names this instance in leases; default the host name. Two instances on one host need two names. */
  instanceId?: string | undefined;
  now?: (() => number) | undefined;
  /**
   * How often an idle bot asks the store whether there is work (one statement), in ms: the
   * fallback for work it was not told of (another instance's on SQLite, a missed notification on
   * PostgreSQL, a retry coming due). Default 5000 ms. New work wakes the workers at once.
   */
  pollMs?: number | undefined;
}

export interface BotMetrics {
  events: Record<string, number>;
  broadcasts: number;
  refused: number;
  deliveries: { sent: number; failed: number; retried: number; rate_limited: number; card_fallback: number };
  /** Deletes (recall) and edits (edit propagation) of copies, by outcome. */
  copies: { deleted: number; edited: number; task_failed: number; rate_limited: number; retried: number };
  reports: number;
}

/**
 * Each work loop's own look for work while nothing woke it, ms. The watch (`pollMs`) wakes the
 * loops whenever the store holds due work, so this only bounds what a lost wake-up could delay.
 */
const LOOP_IDLE_MS = 60_000;

/**
 * Copies one worker claims at once: what it sends in about a quarter of a second at the configured
 * rate, 1 to 64. The next batch is claimed while the last quarter of this one goes out
 * (`deliverStep`), so a process that dies leaves at most `batch + ceil(batch / 4)` rows leased
 * per worker (two for a batch of one); they are not sent until the lease runs out, and only the
 * send in flight and the copy whose row was being written can repeat. A bot that stops hands back what it claimed ahead.
 */
export function claimBatch(delivery: { rate_per_second: number; workers: number }): number {
  return Math.min(64, Math.max(1, Math.ceil(delivery.rate_per_second / delivery.workers / 4)));
}

/** A worker's next batch, claimed while it sends the last of its current one (`deliverStep`). */
interface ClaimAhead {
  next?: Promise<DeliveryRow[] | undefined> | undefined;
}

export class BroadcastBot {
  readonly metrics: BotMetrics = {
    events: {},
    broadcasts: 0,
    refused: 0,
    deliveries: { sent: 0, failed: 0, retried: 0, rate_limited: 0, card_fallback: 0 },
    copies: { deleted: 0, edited: 0, task_failed: 0, rate_limited: 0, retried: 0 },
    reports: 0,
  };
  private self: BotSelf | undefined;
  private orgNameCache: string | undefined;
  private readonly templates: Templates;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly instance: string;
  private readonly owner: string;
  /** Each worker loop's claim ahead (`deliverStep`), handed back at `stop`. */
  private readonly aheads: ClaimAhead[] = [];
  private stopping = false;
  private limiter: RateLimiter;
  private readonly cache: ContentCache;
  private loops: WorkLoop[] = [];
  private reporter: WorkLoop | undefined;
  private watch: WorkLoop | undefined;
  /** A wake-up set for the earliest retry coming due. */
  private dueTimer: NodeJS.Timeout | undefined;
  private readonly pollMs: number;
  /** When the sweeper next forgets old event keys (bot time). */
  private nextPruneAt = 0;

  constructor(private readonly options: BotOptions) {
    this.templates = loadTemplates(options.locale);
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? silentLogger;
    this.instance = options.instanceId ?? hostname();
    this.owner = `${this.instance}:${randomUUID().slice(0, 8)}`;
    // Real time, not `now`: Webex counts its limits on the wall clock even when the bot's is scaled.
    this.limiter = new RateLimiter({ ratePerSecond: options.config.delivery.rate_per_second });
    this.pollMs = options.pollMs ?? 5000;
    this.cache = new ContentCache(options.store);
  }

  /** The bot's identity (after `init`). */
  get bot(): BotSelf {
    if (!this.self) throw new Error('BroadcastBot.init() has not run');
    return this.self;
  }

  /** Who am I (fails when the token is refused), and hand back leases of this instance's earlier runs. */
  async init(): Promise<BotSelf> {
    const me = await this.options.client.people.me();
    this.self = {
      id: me.id,
      orgId: me.orgId ?? '',
      emails: me.emails ?? [],
      displayName: me.displayName ?? '',
    };
    if (!this.self.emails.some((e) => /@(webex\.bot|sparkbot\.io)$/i.test(e))) {
      this.log.warn(
        { person: me.id },
        'the token is not a bot token: a user account sees and sends differently',
      );
    }
    // Webex limits the token, not the process: instances sharing PostgreSQL share one budget.
    if (this.options.store.dialect === 'postgres') {
      this.limiter = new SharedRateLimiter({
        store: this.options.store,
        key: me.id,
        ratePerSecond: this.options.config.delivery.rate_per_second,
        onError: (err) => this.log.warn({ error: describe(err) }, 'shared rate budget unavailable'),
      });
    }
    const released = await this.options.store.releaseLeasesOf(this.instance, this.now());
    if (released > 0) this.log.info({ released }, 'resumed deliveries left in flight by an earlier run');
    return this.self;
  }

  /** Start planning, sending (and deleting, editing), sweeping and reporting. */
  start(): void {
    const idle = Math.max(this.pollMs, LOOP_IDLE_MS);
    const onError = (err: unknown) => this.log.error({ error: describe(err) }, 'work loop step failed');
    const planner = new WorkLoop(() => this.planStep(), idle, onError);
    // Workers send copies first; with none due, they delete or edit copies already sent.
    const workers = Array.from({ length: this.options.config.delivery.workers }, () => {
      let busy = false;
      const ahead: ClaimAhead = {};
      this.aheads.push(ahead);
      return new WorkLoop(
        async () => {
          const was = busy;
          busy = (await this.deliverStep(ahead)) || (await this.taskStep());
          if (was && !busy) await this.queueDrained();
          return busy;
        },
        idle,
        onError,
      );
    });
    const reporter = new WorkLoop(
      async () => (await this.reportStep()) || (await this.cardStep()),
      idle,
      onError,
    );
    const sweeper = new WorkLoop(() => this.sweepStep(), idle, onError);
    // The one poll of an idle bot: a single statement, waking the loops when there is due work.
    const watch = new WorkLoop(
      async () => {
        if (await this.options.store.hasDueWork(this.now())) this.wakeLoops();
        return false;
      },
      this.pollMs,
      onError,
    );
    this.reporter = reporter;
    this.watch = watch;
    this.loops = [planner, ...workers, reporter, sweeper];
    for (const l of [...this.loops, watch]) l.start();
    this.options.store.signal.subscribe(() => this.wakeLoops()).catch(onError);
  }

  async stop(): Promise<void> {
    clearTimeout(this.dueTimer);
    this.stopping = true;
    await Promise.all([...this.loops, ...(this.watch ? [this.watch] : [])].map((l) => l.stop()));
    this.loops = [];
    this.watch = undefined;
    // Copies claimed ahead and not started go back to the queue, for the next run or another instance.
    const aheads = this.aheads.splice(0);
    for (const ahead of aheads) {
      const rows = (await ahead.next) ?? [];
      ahead.next = undefined;
      const ids = rows.map((d) => d.id);
      await this.options.store
        .unclaimDeliveries(ids, this.owner, this.now())
        .catch((err: unknown) =>
          this.log.warn(
            { error: describe(err), copies: ids.length },
            'could not hand back copies claimed ahead',
          ),
        );
    }
    this.stopping = false;
  }

  /**
   * One unit of work of any kind, for callers that run no loops (function mode, functions/drain.ts):
   * plan a broadcast, send a copy, delete or edit one, post a report or a card. False when none was due.
   */
  async workOnce(): Promise<boolean> {
    return (
      (await this.planStep()) ||
      (await this.deliverStep()) ||
      (await this.taskStep()) ||
      (await this.reportStep()) ||
      (await this.cardStep())
    );
  }

  /** Plan one received broadcast; false when none waits (function mode plans in the webhook call). */
  planOnce(): Promise<boolean> {
    return this.planStep();
  }

  /** One sweep: recalls and edits under way become tasks; old keys and files are forgotten. */
  async sweepOnce(): Promise<void> {
    await this.sweepStep();
  }

  /** Hand back every lease this instance holds (function mode: at the end of a drain). */
  releaseLeases(): Promise<number> {
    return this.options.store.releaseLeasesOf(this.instance, this.now());
  }

  private wakeLoops(): void {
    for (const l of this.loops) l.wake();
  }

  /** New work: wake the loops here and (PostgreSQL) in the other instances. */
  private wakeAll(): void {
    this.wakeLoops();
    this.options.store.signal
      .announce()
      .catch((err: unknown) => this.log.warn({ error: describe(err) }, 'could not announce new work'));
  }

  /**
   * A worker found nothing more to do: the report may be due now, and a retry put back for later
   * gets a wake-up at its time (the watch is the fallback).
   */
  private async queueDrained(): Promise<void> {
    this.reporter?.wake();
    const due = await this.options.store.nextDue();
    if (due === undefined) return;
    clearTimeout(this.dueTimer);
    this.dueTimer = setTimeout(() => this.wakeLoops(), Math.min(this.pollMs, Math.max(0, due - this.now())));
  }

  /** Take one event from a receiver. Safe to call twice with the same event. */
  async handle(event: WebexEvent): Promise<void> {
    this.metrics.events[event.type] = (this.metrics.events[event.type] ?? 0) + 1;
    const bot = this.bot;
    if (event.type === 'message.created') {
      const m = event.data;
      if (sameId(m.personId, bot.id)) return;
      if (m.roomType === 'direct') await this.options.store.rememberDirectRoom(m.personId, m.roomId);
      const request: BroadcastRequest = {
        messageId: m.id,
        roomId: m.roomId,
        roomType: m.roomType,
        personId: m.personId,
        personEmail: m.personEmail,
        text: m.text,
        html: m.html,
        markdown: m.markdown,
        files: m.files,
        attachments: m.attachments,
        created: m.created,
        transport: event.transport,
        parentId: m.parentId,
      };
      const created = await this.options.store.createBroadcast(
        { id: randomUUID(), sourceMessageId: m.id, sourceRoomId: m.roomId, senderId: m.personId, request },
        this.now(),
      );
      if (created) {
        this.metrics.broadcasts++;
        this.log.info({ message: m.id, room: m.roomId }, 'broadcast received');
        this.wakeAll();
      }
      return;
    }
    if (event.type === 'message.updated' || event.type === 'attachmentAction.created') {
      if (sameId(event.data.personId, bot.id)) return;
      if (!(await this.options.store.markSeen(eventKey(event), this.now()))) return;
      if (event.type === 'message.updated') await onMessageUpdated(this.interactionDeps(), event);
      else await onCardAction(this.interactionDeps(), event);
      return;
    }
    if (event.type === 'membership.created') {
      if (!sameId(event.data.personId, bot.id)) return;
      if (!(await this.options.store.markSeen(eventKey(event), this.now()))) return;
      await onBotAdded(
        {
          client: this.options.client,
          store: this.options.store,
          config: this.options.config,
          templates: this.templates,
          bot,
          orgName: () => this.orgName(),
          now: this.now,
          log: (level, fields, msg) => this.log[level](fields, msg),
        },
        event,
      );
    }
  }

  private async orgName(): Promise<string> {
    if (this.orgNameCache) return this.orgNameCache;
    try {
      this.orgNameCache = (await this.options.client.organizations.get(this.bot.orgId)).displayName;
    } catch (err) {
      this.log.warn({ error: describe(err) }, 'cannot read the bot organization name');
    }
    return this.orgNameCache ?? 'my organization';
  }

  private deps() {
    return {
      client: this.options.client,
      store: this.options.store,
      config: this.options.config,
      templates: this.templates,
      bot: this.bot,
      now: this.now,
      log: (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string) =>
        this.log[level](fields, msg),
    };
  }

  private interactionDeps(): InteractionDeps {
    return { ...this.deps(), cache: this.cache, wake: () => this.wakeAll() };
  }

  private async planStep(): Promise<boolean> {
    const leaseMs = this.options.config.delivery.lease_seconds * 1000;
    const [row] = await this.options.store.claimBroadcasts('received', this.owner, this.now(), leaseMs, 1);
    if (!row) return false;
    const deps: PlannerDeps = {
      ...this.deps(),
      onRecallCommand: (req, sender) => onRecallCommand(this.interactionDeps(), req, sender),
    };
    const outcome = await planBroadcast(deps, row, this.owner);
    if (outcome === 'refused') this.metrics.refused++;
    this.wakeAll();
    return true;
  }

  /**
   * Send a batch of due copies (`claimBatch`), one after another: one claim per batch, not per copy.
   * A worker's loop passes `ahead`: with a quarter of the batch left, the next batch is claimed
   * while these copies go out, so that the worker does not wait for the claim between batches.
   */
  private async deliverStep(ahead?: ClaimAhead): Promise<boolean> {
    const { delivery } = this.options.config;
    const leaseMs = delivery.lease_seconds * 1000;
    const batch = claimBatch(delivery);
    const claim = () => this.options.store.claimDeliveries(this.owner, this.now(), leaseMs, batch);
    const early = ahead?.next;
    if (ahead) ahead.next = undefined;
    const claimed = (early && (await early)) || (await claim());
    if (claimed.length === 0) return false;
    const deps: DispatcherDeps = {
      ...this.deps(),
      client: this.options.sendClient ?? this.options.client,
      limiter: this.limiter,
      count: (outcome) => this.metrics.deliveries[outcome]++,
    };
    // Claimed ahead of need only when these copies fill the batch (more are likely due), and not
    // once the bot is stopping. A failed claim ahead is not an error: the next step claims again.
    const aheadAt = claimed.length === batch && ahead ? claimed.length - Math.ceil(batch / 4) : -1;
    // A copy's row is written while the next copy is sent, and never later: a worker holds one send
    // in flight and one sent copy waiting for its row at most, so a crash repeats at most two
    // copies per worker. The row lingers for other workers' marks (store/deliveries.ts
    // `SentMarks`) until the worker asks for it, with its next copy's mark queued beside it.
    let previous: Delivered | undefined;
    try {
      for (const [i, d] of claimed.entries()) {
        if (i === aheadAt && ahead && !this.stopping) ahead.next = claim().catch(() => undefined);
        const next = await deliver(deps, this.cache, d, this.owner);
        await previous?.written();
        previous = next;
      }
    } finally {
      await previous?.written();
    }
    return true;
  }

  /** Delete or edit one copy already sent. */
  private async taskStep(): Promise<boolean> {
    const leaseMs = this.options.config.delivery.lease_seconds * 1000;
    const [task] = await this.options.store.tasks.claim(this.owner, this.now(), leaseMs, 1);
    if (!task) return false;
    const deps: CopyWorkDeps = {
      ...this.deps(),
      client: this.options.sendClient ?? this.options.client,
      limiter: this.limiter,
      count: (outcome) => this.metrics.copies[outcome]++,
    };
    await performTask(deps, task, this.owner);
    return true;
  }

  /**
   * Turn recalls and edits under way into tasks, and notice when they finish. Every ten minutes,
   * forget event keys and file bytes past their retention (a long-running bot's store must not
   * grow without end).
   */
  private async sweepStep(): Promise<boolean> {
    const { tasks } = this.options.store;
    const now = this.now();
    if (now >= this.nextPruneAt) {
      const keys = await this.options.store.pruneSeen(now - SEEN_RETENTION_MS);
      const files = await this.options.store.pruneFiles(now - FILE_RETENTION_MS);
      // A full batch: more are due, so the next sweep goes on.
      const more = keys >= PRUNE_SEEN_BATCH || files >= PRUNE_FILES_BATCH;
      this.nextPruneAt = more ? now : now + PRUNE_EVERY_MS;
      if (keys > 0 || files > 0)
        this.log.info({ keys, files }, 'forgot event keys and files past their retention');
    }
    let finished = false;
    for (const b of await tasks.underWay(20)) {
      if (b.recall && (await tasks.sweepRecall(b.id, this.now()))) {
        finished = true;
        this.log.info({ broadcast: b.id }, 'recall finished');
      }
      if (b.edit && (await tasks.sweepEdit(b.id, this.now()))) {
        finished = true;
        this.log.info({ broadcast: b.id }, 'edit propagated');
      }
    }
    if (finished) this.wakeAll();
    return false;
  }

  private async reportStep(): Promise<boolean> {
    const { store } = this.options;
    await store.completeFinishedBroadcasts(this.now());
    const leaseMs = this.options.config.delivery.lease_seconds * 1000;
    const [row] = await store.claimBroadcasts('reporting', this.owner, this.now(), leaseMs, 1);
    if (!row) return false;
    try {
      await postFinalReport(this.deps(), row, this.owner);
    } catch (err) {
      // A passing failure (5xx, no answer): try again soon, not after the whole lease.
      await this.retrySoon(row.id, err, workBackoffMs(row.attempts));
      return true;
    }
    this.metrics.reports++;
    return true;
  }

  private async retrySoon(broadcastId: string, err: unknown, delayMs: number): Promise<void> {
    this.log.warn(
      { broadcast: broadcastId, error: describe(err), retryInMs: delayMs },
      'report will be retried',
    );
    const now = this.now();
    await this.options.store.releaseBroadcast(broadcastId, describe(err), now + delayMs, now);
  }

  /** Post a card the store asks for: preview, approval, or a new report card. */
  private async cardStep(): Promise<boolean> {
    const { store } = this.options;
    await store.bumpMilestones(this.now());
    const leaseMs = this.options.config.delivery.lease_seconds * 1000;
    const row = await store.claimCardUpdate(this.owner, this.now(), leaseMs);
    if (!row) return false;
    try {
      await postCard(this.deps(), row, this.owner);
    } catch (err) {
      await this.retrySoon(row.id, err, 2000);
    }
    return true;
  }
}

const PRUNE_EVERY_MS = 10 * 60_000;

function describe(err: unknown): string {
  if (err instanceof WebexApiError)
    return `${err.status} ${err.apiMessage ?? ''} (trackingId ${err.trackingId ?? '-'})`;
  return err instanceof Error ? err.message : String(err);
}

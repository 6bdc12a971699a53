/**
 * Webhook delivery: for every world change, each matching active webhook whose owner may learn of it
 * (`world.audience`, the bot visibility rules of docs/protocol.md §7.8) gets one signed POST.
 *
 * Emulator decisions (§8.5, §7.7): per-webhook order is commit order by default; a delivery
 * fails on a non-2xx answer, a socket error or the timeout (default 5 s); retries are off by default
 * (Webex documents none); N consecutive failed deliveries (default 10) make the webhook `inactive`,
 * and events for an inactive webhook are dropped.
 */
import { createHmac } from 'node:crypto';
import { backoff, encodeId } from '@herald/webex';
import type { Change, Webhook } from '../state/types.js';
import type { World } from '../state/world.js';
import { envelopeJson } from './envelope.js';
import { passesFilter, resourceEventOf, subscribes } from './filter.js';
import { Poster } from './post.js';

export interface DeliveryOptions {
  /** Wait for an answer, ms. Default 5000. */
  timeoutMs: number;
  /** Extra attempts after a failed one. Default 0 (Webex: an event may be lost on failure). */
  retries: number;
  /** First retry wait, ms; doubles each retry up to `backoffMaxMs`. Default 1000. */
  backoffMs: number;
  /** Longest retry wait, ms. Default 30000. */
  backoffMaxMs: number;
  /** Consecutive failed deliveries that deactivate a webhook. Default 10. */
  deactivateAfter: number;
  /** One delivery at a time per webhook, in commit order. Default true. */
  ordered: boolean;
  /** Delivery records kept for inspection (oldest dropped first). Default 1000. */
  logSize: number;
}

export const DEFAULT_DELIVERY_OPTIONS: Readonly<DeliveryOptions> = {
  timeoutMs: 5000,
  retries: 0,
  backoffMs: 1000,
  backoffMaxMs: 30_000,
  deactivateAfter: 10,
  ordered: true,
  logSize: 1000,
};

export interface WebhookFaults {
  /** Send every delivery twice. */
  duplicate: boolean;
  /** Shuffle deliveries within windows of this many (per webhook); 0 or 1 = off. */
  reorderWindow: number;
  /** Send a signature that does not match the body. */
  wrongSignature: boolean;
  /** Change the body after signing it. */
  tamperBody: boolean;
}

export const NO_FAULTS: Readonly<WebhookFaults> = {
  duplicate: false,
  reorderWindow: 0,
  wrongSignature: false,
  tamperBody: false,
};

/** One delivery, for inspection. Never holds the secret or the body. */
export interface DeliveryRecord {
  /** Change sequence number. */
  seq: number;
  /** WEBHOOK REST id. */
  webhookId: string;
  webhookName: string;
  url: string;
  resource: string;
  event: string;
  /** `data.id` (REST id). */
  dataId: string;
  /** delivered: 2xx; failed: attempts used up; dropped: webhook inactive or gone. */
  outcome: 'delivered' | 'failed' | 'dropped';
  /** Last HTTP status, when one came. */
  status?: number | undefined;
  /** Last error (`timeout`, `ECONNREFUSED`, …). */
  error?: string | undefined;
  attempts: number;
  /** Whether the webhook went inactive after this delivery. */
  deactivated?: boolean | undefined;
  at: string;
}

export interface DeliveryStats {
  delivered: number;
  failed: number;
  dropped: number;
  deactivated: number;
  /** Deliveries queued or in flight. */
  pending: number;
}

interface Job {
  seq: number;
  webhook: Webhook;
  resource: string;
  event: string;
  dataId: string;
  body: Buffer;
  headers: Record<string, string>;
}

interface Queue {
  incoming: Job[];
  jobs: Job[];
  running: number;
}

export class Dispatcher {
  options: DeliveryOptions = { ...DEFAULT_DELIVERY_OPTIONS };
  faults: WebhookFaults = { ...NO_FAULTS };
  readonly #world: World;
  readonly #poster = new Poster();
  readonly #queues = new Map<string, Queue>();
  readonly #log: DeliveryRecord[] = [];
  readonly #stats = { delivered: 0, failed: 0, dropped: 0, deactivated: 0 };
  readonly #random: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #idleWaiters: Array<() => void> = [];
  #pending = 0;
  #generation = 0;
  #flushScheduled = false;
  #stopped = false;

  constructor(world: World, random: () => number, sleep: (ms: number) => Promise<void>) {
    this.#world = world;
    this.#random = random;
    this.#sleep = sleep;
  }

  /** Subscribed to `world.events` 'change': cheap and synchronous; sending happens later. */
  onChange(change: Change): void {
    if (this.#stopped) return;
    const { resource, event } = resourceEventOf(change);
    const candidates = [...this.#world.webhooks.values()].filter(
      (w) => subscribes(w, resource, event) && passesFilter(this.#world, w, change),
    );
    if (candidates.length === 0) return;
    const audience = new Set(this.#world.audience(change).map((p) => p.id));
    for (const webhook of candidates) {
      if (!audience.has(webhook.ownerPersonId)) continue;
      const { json, dataId } = envelopeJson(this.#world, webhook, change, resource, event);
      if (webhook.status !== 'active') {
        this.#record({ seq: change.seq, webhook, resource, event, dataId }, 'dropped', 0, {});
        continue;
      }
      const job = this.#job(change.seq, webhook, resource, event, dataId, json);
      this.#enqueue(job);
      if (this.faults.duplicate) this.#enqueue({ ...job });
    }
  }

  #job(seq: number, webhook: Webhook, resource: string, event: string, dataId: string, json: string): Job {
    let body = Buffer.from(json, 'utf8');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (webhook.secret) {
      // §8.4: lower-case hex HMAC-SHA1 of exactly the bytes sent.
      let signature = createHmac('sha1', webhook.secret).update(body).digest('hex');
      if (this.faults.wrongSignature)
        signature = createHmac('sha1', `${webhook.secret}-wrong`).update(body).digest('hex');
      headers['x-spark-signature'] = signature;
    }
    if (this.faults.tamperBody)
      body = Buffer.from(json.replace('"data":{', '"data":{"tampered":true,'), 'utf8');
    return { seq, webhook, resource, event, dataId, body, headers };
  }

  #enqueue(job: Job): void {
    const q = this.#queue(job.webhook.id);
    q.incoming.push(job);
    this.#pending++;
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      // Deferred by one macrotask so that changes committed together can be reordered as a batch.
      setImmediate(() => this.#flush());
    }
  }

  #queue(id: string): Queue {
    let q = this.#queues.get(id);
    if (!q) {
      q = { incoming: [], jobs: [], running: 0 };
      this.#queues.set(id, q);
    }
    return q;
  }

  #flush(): void {
    this.#flushScheduled = false;
    for (const q of this.#queues.values()) {
      if (q.incoming.length === 0) continue;
      const batch = q.incoming.splice(0);
      const window = Math.floor(this.faults.reorderWindow);
      if (window > 1)
        for (let i = 0; i < batch.length; i += window)
          this.#shuffle(batch, i, Math.min(batch.length, i + window));
      q.jobs.push(...batch);
      this.#pump(q);
    }
  }

  #shuffle(items: Job[], from: number, to: number): void {
    for (let i = to - 1; i > from; i--) {
      const j = from + Math.floor(this.#random() * (i - from + 1));
      [items[i], items[j]] = [items[j] as Job, items[i] as Job];
    }
  }

  #pump(q: Queue): void {
    const limit = this.options.ordered ? 1 : Number.POSITIVE_INFINITY;
    while (q.running < limit && q.jobs.length > 0) {
      const job = q.jobs.shift() as Job;
      q.running++;
      const generation = this.#generation;
      void this.#deliver(job).finally(() => {
        if (generation !== this.#generation) return;
        q.running--;
        this.#done();
        this.#pump(q);
      });
    }
  }

  async #deliver(job: Job): Promise<void> {
    const { webhook } = job;
    let attempts = 0;
    let last: { status?: number | undefined; error?: string | undefined } = {};
    for (;;) {
      // The webhook may have been deleted or deactivated while this delivery waited.
      if (this.#stopped || this.#world.webhooks.get(webhook.id) !== webhook || webhook.status !== 'active') {
        this.#record(job, 'dropped', attempts, last);
        return;
      }
      attempts++;
      last = await this.#poster.post(webhook.targetUrl, job.body, job.headers, this.options.timeoutMs);
      if (last.status !== undefined && last.status >= 200 && last.status < 300) {
        this.#world.recordDelivery(webhook.id, true, this.options.deactivateAfter);
        this.#record(job, 'delivered', attempts, last);
        return;
      }
      if (attempts > this.options.retries) break;
      const wait = backoff(
        { base: this.options.backoffMs, cap: this.options.backoffMaxMs, factor: 2, jitter: 0 },
        attempts,
      );
      await this.#sleep(wait);
    }
    const wasActive = webhook.status === 'active';
    this.#world.recordDelivery(webhook.id, false, this.options.deactivateAfter);
    const deactivated = wasActive && this.#world.webhooks.get(webhook.id)?.status === 'inactive';
    this.#record(job, 'failed', attempts, { ...last, deactivated });
  }

  #record(
    job: Pick<Job, 'seq' | 'webhook' | 'resource' | 'event' | 'dataId'>,
    outcome: DeliveryRecord['outcome'],
    attempts: number,
    detail: { status?: number | undefined; error?: string | undefined; deactivated?: boolean | undefined },
  ): void {
    this.#stats[outcome]++;
    if (detail.deactivated) this.#stats.deactivated++;
    this.#log.push({
      seq: job.seq,
      webhookId: encodeId('WEBHOOK', job.webhook.id),
      webhookName: job.webhook.name,
      url: job.webhook.targetUrl,
      resource: job.resource,
      event: job.event,
      dataId: job.dataId,
      outcome,
      status: detail.status,
      error: detail.error,
      attempts,
      deactivated: detail.deactivated || undefined,
      at: new Date(this.#world.now()).toISOString(),
    });
    const excess = this.#log.length - this.options.logSize;
    if (excess > 0) this.#log.splice(0, excess);
  }

  #done(): void {
    this.#pending--;
    if (this.#pending === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  deliveries(): DeliveryRecord[] {
    return this.#log.map((r) => ({ ...r }));
  }

  stats(): DeliveryStats {
    return { ...this.#stats, pending: this.#pending };
  }

  clearLog(): void {
    this.#log.length = 0;
    Object.assign(this.#stats, { delivered: 0, failed: 0, dropped: 0, deactivated: 0 });
  }

  /** Settles once nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Forget queued deliveries (world reset). In-flight POSTs finish but are not counted. */
  reset(): void {
    this.#generation++;
    this.#queues.clear();
    this.#pending = 0;
    this.clearLog();
    for (const wake of this.#idleWaiters.splice(0)) wake();
  }

  stop(): void {
    this.#stopped = true;
    this.reset();
    this.#poster.close();
  }
}

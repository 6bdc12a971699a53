/**
 * The bot as functions: one core that every entry point (lambda.ts, azure.ts, fetch.ts) wraps.
 *
 * A webhook invocation: verify the signature (before anything else: a forged call touches neither
 * the database nor Webex) → hydrate → dedupe and record (the store's idempotent `createBroadcast`
 * and `markSeen`) → plan (the deliveries become rows) → start a drain (`kick`) → answer. It never
 * sends a copy.
 *
 * A drain invocation: claim work with leases, as the long-running workers do, until its budget
 * minus a safety margin; then hand back its leases and return. Drains started at the same time
 * share the work through the leases, so each copy is sent once, except, when an invocation dies,
 * a send in flight or a copy whose row was being written (its lease expires and another drain
 * sends it again).
 */
import { randomUUID } from 'node:crypto';
import {
  createFetchHandler,
  createLambdaHandler,
  type LambdaHttpEvent,
  type LambdaHttpResult,
  type Logger,
  silentLogger,
  WebexApiError,
  WebexClient,
  type WebhookHydrationClient,
  WebhookReceiver,
} from '@herald/webex';
import { type EnvProxy, proxyFromEnv } from '@herald/webex/proxy';
import { type BotMetrics, BroadcastBot } from '../bot.js';
import { Store } from '../store/store.js';
import type { FunctionSettings } from './settings.js';

/**
 * Starts a drain soon, without waiting for it: an asynchronous self-invocation on Lambda, a queue
 * message on Azure, `waitUntil` on fetch runtimes. Tests pass one that runs a drain locally.
 */
export type Kick = () => Promise<void> | void;

export interface FunctionCoreOptions {
  logger?: Logger | undefined;
  /** Start of the lease owner names of this deployment's drains; default `fn`. */
  instancePrefix?: string | undefined;
  /** PostgreSQL schema (tests). */
  schema?: string | undefined;
  /** The bot's clock (leases, retry times); default `Date.now`. Budgets always run on real time. */
  now?: (() => number) | undefined;
  /** While work is pending but not due, a drain looks again after this long, in ms. Default 200. */
  pollMs?: number | undefined;
  /**
   * A drain with nothing to claim for this long, in ms, returns early (the work left waits for a
   * retry time or a person; the next timer or kick takes it). Default 1000.
   */
  idleExitMs?: number | undefined;
  /**
   * The proxy every REST call goes through. Default: `proxyFromEnv()`, read once per container from
   * HTTPS_PROXY, HTTP_PROXY and NO_PROXY as `herald start` does; `null` sends everything direct.
   */
  proxy?: EnvProxy | null | undefined;
}

/** What one drain did. */
export interface DrainReport {
  /** Units of work done: plans, sends, deletes, edits, reports, cards. */
  steps: number;
  /** `idle`: nothing left at all; `waiting`: work left, none due; `budget`: stopped at the budget. */
  ended: 'idle' | 'waiting' | 'budget';
  /** Leases handed back at the end (sends cut off by the budget). */
  released: number;
  deliveries: BotMetrics['deliveries'];
  /** Whether a successor drain was started (work left after progress). */
  kicked: boolean;
}

/** At most this many received broadcasts are planned by one webhook call (a backlog waits for drains). */
const PLANS_PER_WEBHOOK = 3;

interface Ready {
  store: Store;
  client: WebexClient;
  sendClient: WebexClient;
  /** Plans in webhook calls; its work loops never start. */
  bot: BroadcastBot;
}

export class FunctionCore {
  readonly settings: FunctionSettings;
  private readonly log: Logger;
  private readonly prefix: string;
  private readonly pollMs: number;
  private readonly idleExitMs: number;
  private readiness: Promise<Ready> | undefined;

  constructor(
    settings: FunctionSettings,
    private readonly options: FunctionCoreOptions = {},
  ) {
    this.settings = settings;
    this.log = options.logger ?? silentLogger;
    this.prefix = options.instancePrefix ?? 'fn';
    this.pollMs = options.pollMs ?? 200;
    this.idleExitMs = options.idleExitMs ?? 1000;
  }

  /** Store, clients and bot, made once per container; a failure is not kept (the next call tries again). */
  ready(): Promise<Ready> {
    this.readiness ??= this.connect().catch((err: unknown) => {
      this.readiness = undefined;
      throw err;
    });
    return this.readiness;
  }

  private async connect(): Promise<Ready> {
    const { settings } = this;
    const baseUrl = settings.apiBaseUrl;
    const proxy = this.options.proxy === undefined ? await proxyFromEnv() : this.options.proxy;
    const fetch = proxy?.fetch;
    const client = new WebexClient({ token: settings.token, baseUrl, logger: this.log, fetch });
    // As in app.ts: sends hand every 429 back, so that the queue (a later drain) does the waiting.
    const sendClient = new WebexClient({
      token: settings.token,
      baseUrl,
      logger: this.log,
      fetch,
      retry: { maxWaitS: 0 },
    });
    const store = new Store({ databaseUrl: settings.databaseUrl, schema: this.options.schema });
    try {
      await store.migrate();
      const bot = this.newBot(store, client, sendClient);
      await bot.init();
      return { store, client, sendClient, bot };
    } catch (err) {
      await store.close().catch(() => {});
      throw err;
    }
  }

  private newBot(store: Store, client: WebexClient, sendClient: WebexClient): BroadcastBot {
    return new BroadcastBot({
      client,
      sendClient,
      store,
      config: this.settings.config,
      locale: this.settings.locale,
      logger: this.log,
      // Unique per bot object: a drain hands back exactly its own leases at its end.
      instanceId: `${this.prefix}-${randomUUID().slice(0, 8)}`,
      now: this.options.now,
    });
  }

  /**
   * A webhook receiver for one call. One per call, so that a failure of this delivery (hydration,
   * the store) is known to this call's answer: 500, and Webex may deliver it again. No in-memory
   * dedupe: the store dedupes across invocations, and only once the event is recorded.
   */
  private receiver(): { receiver: WebhookReceiver; failed: () => boolean; handled: () => boolean } {
    let failed = false;
    let handled = false;
    const ready = () => this.ready();
    const hydration: WebhookHydrationClient = {
      messages: { get: async (id) => (await ready()).client.messages.get(id) },
      attachmentActions: { get: async (id) => (await ready()).client.attachmentActions.get(id) },
      people: { me: async () => ({ id: (await ready()).bot.bot.id }) },
    };
    const receiver = new WebhookReceiver({
      secret: this.settings.webhookSecret,
      client: hydration,
      logger: this.log,
      dedupe: false,
      onError: (error, context) => {
        failed = true;
        this.log.warn(
          { stage: context.stage, resource: context.resource, event: context.event, error: describe(error) },
          'webhook processing failed',
        );
      },
    });
    receiver.on('event', async (event) => {
      handled = true;
      const { bot } = await ready();
      await bot.handle(event);
      for (let i = 0; i < PLANS_PER_WEBHOOK && (await bot.planOnce()); i++);
    });
    return { receiver, failed: () => failed, handled: () => handled };
  }

  /**
   * After a delivery the bot handled: start a drain when there is work. Deliveries of the bot's
   * own messages (one per copy it sends) never reach the bot, so they start nothing. A failed kick
   * waits for the timer.
   */
  private async afterHandled(kick: Kick | undefined, handled: boolean): Promise<void> {
    if (!kick || !handled) return;
    try {
      if (await (await this.ready()).store.isIdle()) return;
      await kick();
    } catch (err) {
      this.log.warn({ error: describe(err) }, 'could not start a drain; the next timer drains');
    }
  }

  /** The webhook, from an API Gateway (v1, v2) or function URL event. */
  async lambdaWebhook(event: LambdaHttpEvent, kick?: Kick): Promise<LambdaHttpResult> {
    const { receiver, failed, handled } = this.receiver();
    const result = await createLambdaHandler(receiver, { awaitProcessing: true })(event);
    if (failed()) return { ...result, statusCode: 500, body: 'processing failed' };
    if (result.statusCode === 200) await this.afterHandled(kick, handled());
    return result;
  }

  /** The webhook, from a Web `Request`. */
  async fetchWebhook(request: Request, kick?: Kick): Promise<Response> {
    const { receiver, failed, handled } = this.receiver();
    const response = await createFetchHandler(receiver, { awaitProcessing: true })(request);
    if (failed()) {
      return new Response('processing failed', {
        status: 500,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
      });
    }
    if (response.status === 200) await this.afterHandled(kick, handled());
    return response;
  }

  /**
   * Work until `budgetMs` minus the safety margin has passed, or nothing is left, or nothing has
   * been due for `idleExitMs`. Then hand back the leases still held and return. With `kick`, a
   * drain that made progress and leaves work behind starts its successor at once.
   */
  async drain(budgetMs: number, kick?: Kick): Promise<DrainReport> {
    const stopAt = Date.now() + budgetMs - this.settings.drainMarginMs;
    const { store, client, sendClient } = await this.ready();
    const bot = this.newBot(store, client, sendClient);
    await bot.init();
    let steps = 0;
    let ended: DrainReport['ended'] = 'budget';
    let lastWork = Date.now();
    const done = () => ended !== 'budget' || Date.now() >= stopAt;
    const sweeper = async () => {
      while (!done()) {
        await this.guard(() => bot.sweepOnce());
        await sleep(Math.min(this.pollMs, Math.max(0, stopAt - Date.now())));
      }
    };
    const worker = async () => {
      while (!done()) {
        if (await this.guard(() => bot.workOnce())) {
          steps++;
          lastWork = Date.now();
          continue;
        }
        if (done()) break;
        if (await store.isIdle()) ended = 'idle';
        else if (Date.now() - lastWork >= this.idleExitMs) ended = 'waiting';
        else await sleep(Math.min(this.pollMs, Math.max(0, stopAt - Date.now())));
      }
    };
    await bot.sweepOnce();
    await Promise.all([
      sweeper(),
      ...Array.from({ length: this.settings.config.delivery.workers }, () => worker()),
    ]);
    const released = await bot.releaseLeases();
    let kicked = false;
    if (kick && (ended as DrainReport['ended']) !== 'idle' && steps > 0) {
      try {
        await kick();
        kicked = true;
      } catch (err) {
        this.log.warn({ error: describe(err) }, 'could not start the next drain; the next timer drains');
      }
    }
    const report = { steps, ended, released, deliveries: { ...bot.metrics.deliveries }, kicked };
    this.log.info(report, 'drain finished');
    return report;
  }

  /** One step; a failure is logged and counts as no work (the loop waits before trying again). */
  private async guard(step: () => Promise<unknown>): Promise<boolean> {
    try {
      return (await step()) === true;
    } catch (err) {
      this.log.error({ error: describe(err) }, 'drain step failed');
      return false;
    }
  }

  /** Close the store (tests; a function container just ends). */
  async close(): Promise<void> {
    const ready = this.readiness;
    this.readiness = undefined;
    if (ready) await (await ready.catch(() => undefined))?.store.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describe(err: unknown): string {
  if (err instanceof WebexApiError) return `${err.status} (trackingId ${err.trackingId ?? '-'})`;
  return err instanceof Error ? err.message : String(err);
}

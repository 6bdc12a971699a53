/**
 * Wiring: settings → REST clients, store, bot core, receiver, HTTP server. `runBot` is what
 * `herald start` and `herald demo` run, and what tests start in-process.
 *
 * The receiver is the library's (`Receiver`: Mercury's `WebexMessageHandler` or a
 * `WebhookReceiver`); it awaits `bot.handle` for every event and reports a failure as a
 * `HandlerError`, which is logged here.
 */
import { type AddressInfo, isIP } from 'node:net';
import {
  type Clock,
  createNodeHandler,
  DEFAULT_BASE_URL,
  HandlerError,
  type Logger,
  type NodeWebhookHandler,
  type Receiver,
  type RetryPolicy,
  retrying,
  retryPolicy,
  WebexClient,
  type WebexClientOptions,
  WebexMessageHandler,
  WebhookReceiver,
} from '@herald/webex';
import type { EnvProxy } from '@herald/webex/proxy';
import { BroadcastBot } from './bot.js';
import type { Settings } from './config.js';
import { STARTUP_RETRY } from './retry.js';
import { createBotServer } from './server.js';
import { Store } from './store/store.js';
import { registerBotWebhooks } from './webhooks.js';

export interface RunOptions {
  logger: Logger;
  /** Lease owner name; default the host name. */
  instanceId?: string | undefined;
  /** Mercury discovery URL (the emulator's in demo mode and tests). */
  u2cUrl?: string | undefined;
  /** Extra origins Mercury may be sent to by the server (the emulator's). */
  allowedOrigins?: string[] | undefined;
  /** HTTP port; default `settings.port`. 0 picks a free one. */
  port?: number | undefined;
  /** Host to bind; default `settings.host`, else 0.0.0.0 with webhooks (Webex must reach it), else 127.0.0.1. */
  host?: string | undefined;
  /**
   * The proxy every outgoing request and the Mercury upgrade go through (`proxyFromEnv()` of
   * `@herald/webex/proxy`, which `herald start` reads from HTTPS_PROXY, HTTP_PROXY and NO_PROXY).
   * Default none: direct.
   */
  proxy?: EnvProxy | undefined;
  /** Idle poll interval of the work loops, ms. */
  pollMs?: number | undefined;
  /** PostgreSQL schema (tests). */
  schema?: string | undefined;
  /**
   * The bot's time: leases, retry times, progress cards, retention. Default `Date.now`; the soak
   * bench runs the bot on a faster one. The send rate limiter always paces on real time, since
   * Webex counts its limits on the wall clock.
   */
  now?: (() => number) | undefined;
  /**
   * Timers of the Mercury handler: heartbeat, backoff, timeouts. Default the system clock. Its
   * `now()` should stay the wall clock: it is compared with the server's times when reconciling.
   */
  mercuryClock?: Clock | undefined;
  /** Start-up's one retry loop; fields left out keep `STARTUP_RETRY`'s (six tries, 1 s doubling). */
  startRetry?: Partial<RetryPolicy> | undefined;
}

export interface RunningBot {
  bot: BroadcastBot;
  store: Store;
  /** How events arrive: `mercury` (no public URL) or `webhook` (PUBLIC_URL and WEBHOOK_SECRET set). */
  transport: 'mercury' | 'webhook';
  receiver: Receiver;
  /** The bot's HTTP base URL. */
  url: string;
  stop(): Promise<void>;
}

export async function runBot(settings: Settings, options: RunOptions): Promise<RunningBot> {
  const log = options.logger;
  const baseUrl = settings.apiBaseUrl;
  const proxy = options.proxy;
  const fetch = proxy?.fetch;
  if (proxy) log.info({ proxy: proxy.proxyFor(baseUrl ?? DEFAULT_BASE_URL) ?? 'direct' }, 'REST proxy');
  // One client per retry need, all with the bot's token, base URL, logger and proxy.
  const clientWith = (retry?: WebexClientOptions['retry']) =>
    new WebexClient({ token: settings.token, baseUrl, logger: log, fetch, ...(retry ? { retry } : {}) });
  const client = clientWith();
  // Sends hand every 429 back to the dispatcher: the shared limiter and the queue wait, not a socket.
  const sendClient = clientWith({ maxWaitS: 0 });
  const store = new Store({
    databaseUrl: settings.databaseUrl,
    sqlitePath: settings.sqlitePath,
    schema: options.schema,
  });
  await store.migrate();
  const bot = new BroadcastBot({
    client,
    sendClient,
    store,
    config: settings.config,
    locale: settings.locale,
    logger: log,
    instanceId: options.instanceId ?? settings.instanceId,
    pollMs: options.pollMs,
    now: options.now,
  });
  try {
    await bot.init();
  } catch (err) {
    await store.close();
    throw err;
  }
  const reportHandlerError = (err: HandlerError) =>
    log.error(
      { type: err.event.type, error: err.cause instanceof Error ? err.cause.message : err.message },
      'event handling failed',
    );
  const { publicUrl, webhookSecret } = settings;
  let receiver: Receiver;
  let webhook: NodeWebhookHandler | undefined;
  let prepare: () => Promise<void> = async () => {};
  if (publicUrl && webhookSecret) {
    // The bot's id is known since init(): the receiver tells its own messages apart without asking.
    const webhooks = new WebhookReceiver({ secret: webhookSecret, client, logger: log, selfId: bot.bot.id });
    webhooks.on('error', (error, context) => {
      if (error instanceof HandlerError) reportHandlerError(error);
      else log.warn({ stage: context.stage, error: String(error) }, 'webhook processing failed');
    });
    receiver = webhooks;
    webhook = createNodeHandler(webhooks);
    // Registration tries each call once: start-up's loop below is the only one.
    const setupClient = clientWith({ attempts: 1 });
    prepare = async () => {
      const result = await registerBotWebhooks(setupClient, publicUrl, webhookSecret);
      log.info({ actions: result.actions.map((a) => a.kind) }, 'webhooks synchronised');
    };
  } else {
    const mercury = new WebexMessageHandler({
      token: settings.token,
      baseUrl,
      u2cUrl: options.u2cUrl ?? settings.u2cUrl,
      allowedOrigins: options.allowedOrigins ?? settings.allowedOrigins,
      // Distinct per instance, so that two instances do not take over each other's device.
      deviceName: `herald-broadcast-${options.instanceId ?? settings.instanceId ?? 'main'}`,
      // Keep the device across restarts: the next run takes it over instead of registering another.
      unregisterOnDisconnect: false,
      selfId: bot.bot.id,
      // Start-up's loop below is the only one around the setup calls.
      connectAttempts: 1,
      reconcileSince: await restartWatermark(store),
      logger: log,
      clock: options.mercuryClock,
      proxy,
    });
    mercury.on('error', (err) => {
      if (err instanceof HandlerError) reportHandlerError(err);
      else log.warn({ error: err.message }, 'mercury');
    });
    mercury.on('reconnecting', ({ attempt, delay }) => log.info({ attempt, delay }, 'mercury reconnecting'));
    mercury.on('disconnected', ({ reason }) => {
      if (reason !== 'client') log.warn({ reason }, 'mercury disconnected');
    });
    receiver = mercury;
  }
  const transport = webhook ? 'webhook' : 'mercury';

  const server = createBotServer({
    health: () => {
      const { state, detail } = receiver.status();
      return { ok: state === 'up', detail };
    },
    bot,
    store,
    webhook,
    statusToken: settings.statusToken,
  });
  const host = options.host ?? settings.host ?? (transport === 'webhook' ? '0.0.0.0' : '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? settings.port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${localUrlHost(host)}:${address.port}`;

  bot.start();
  try {
    await startWithRetry(
      async () => {
        await prepare();
        await receiver.start((event) => bot.handle(event));
      },
      log,
      retryPolicy(options.startRetry, STARTUP_RETRY),
    );
  } catch (err) {
    await bot.stop();
    server.close();
    await store.close();
    throw err;
  }
  log.info({ transport, url, bot: bot.bot.id }, 'herald broadcast bot running');

  let stopped = false;
  return {
    bot,
    store,
    transport,
    receiver,
    url,
    async stop() {
      if (stopped) return;
      stopped = true;
      await receiver.stop();
      await bot.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}

/** How to reach a bound address from this machine: a wildcard becomes loopback; IPv6 goes in brackets. */
function localUrlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return isIP(host) === 6 ? `[${host}]` : host;
}

/** Recovered on a restart at most this far back (ms): one hour. */
const RESTART_RECOVERY_MS = 60 * 60_000;

/**
 * Where Mercury's recovery starts after a restart: the newest message the store holds (a broadcast
 * row is written before the event counts as handled), so a message that arrived but was not yet
 * stored when the process died is fetched again through REST. Nothing on a first start.
 */
async function restartWatermark(store: Store): Promise<number | undefined> {
  const [newest] = await store.recentBroadcasts(1);
  if (!newest) return undefined;
  return Math.max(Math.min(newest.created_at, Date.now()), Date.now() - RESTART_RECOVERY_MS);
}

/**
 * Start the receiver under `policy`: the one retry loop of start-up (the calls inside it try once),
 * waiting `Retry-After` when Webex gave one (at most 60 s), else the policy's backoff.
 */
async function startWithRetry(start: () => Promise<void>, log: Logger, policy: RetryPolicy): Promise<void> {
  await retrying(policy, start, {
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    onRetry: (err, attempt, delay) =>
      log.warn(
        { attempt, delay, error: err instanceof Error ? err.message : String(err) },
        'transport start failed; retrying',
      ),
  });
}

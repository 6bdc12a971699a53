/**
 * Wiring: settings → REST clients, store, bot core, transport, HTTP server. `runBot` is what
 * `herald start` and `herald demo` run, and what tests start in-process.
 */
import { type AddressInfo, isIP } from 'node:net';
import {
  type Clock,
  DEFAULT_BASE_URL,
  KmsError,
  type Logger,
  WebexApiError,
  WebexClient,
  WebexNetworkError,
} from '@herald/webex';
import type { EnvProxy } from '@herald/webex/proxy';
import { BroadcastBot } from './bot.js';
import type { Settings } from './config.js';
import { createBotServer } from './server.js';
import { Store } from './store/store.js';
import { mercuryTransport } from './transports/mercury.js';
import type { Transport } from './transports/transport.js';
import { webhookTransport } from './transports/webhooks.js';

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
}

export interface RunningBot {
  bot: BroadcastBot;
  store: Store;
  transport: Transport;
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
  const client = new WebexClient({ token: settings.token, baseUrl, logger: log, fetch });
  // Sends hand every 429 back to the dispatcher: the shared limiter and the queue wait, not a socket.
  const sendClient = new WebexClient({
    token: settings.token,
    baseUrl,
    logger: log,
    fetch,
    retry: { maxWaitS: 0 },
  });
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
  const onEvent = async (event: Parameters<BroadcastBot['handle']>[0]) => {
    try {
      await bot.handle(event);
    } catch (err) {
      log.error(
        { type: event.type, error: err instanceof Error ? err.message : String(err) },
        'event handling failed',
      );
    }
  };
  const transport: Transport =
    settings.publicUrl && settings.webhookSecret
      ? webhookTransport({
          client,
          publicUrl: settings.publicUrl,
          secret: settings.webhookSecret,
          onEvent,
          logger: log,
        })
      : mercuryTransport({
          token: settings.token,
          client,
          apiBaseUrl: baseUrl,
          u2cUrl: options.u2cUrl ?? settings.u2cUrl,
          allowedOrigins: options.allowedOrigins ?? settings.allowedOrigins,
          deviceName: `herald-broadcast-${options.instanceId ?? settings.instanceId ?? 'main'}`,
          onEvent,
          logger: log,
          clock: options.mercuryClock,
          proxy,
        });

  const server = createBotServer({
    health: transport.health ? () => transport.health!() : undefined,
    bot,
    store,
    webhook: transport.webhookHandler,
    statusToken: settings.statusToken,
  });
  const host = options.host ?? settings.host ?? (transport.name === 'webhook' ? '0.0.0.0' : '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? settings.port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${localUrlHost(host)}:${address.port}`;

  bot.start();
  try {
    await startWithRetry(() => transport.start(), log);
  } catch (err) {
    await bot.stop();
    server.close();
    await store.close();
    throw err;
  }
  log.info({ transport: transport.name, url, bot: bot.bot.id }, 'herald broadcast bot running');

  let stopped = false;
  return {
    bot,
    store,
    transport,
    url,
    async stop() {
      if (stopped) return;
      stopped = true;
      await transport.stop();
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

/**
 * Start the transport, retrying passing failures (a 5xx or no answer while registering webhooks or
 * a device) with backoff: 1 s, 2 s, 4 s … up to six tries. A refused token, a permanent 4xx or a
 * server-sent URL outside the allow-list fails at once.
 */
async function startWithRetry(start: () => Promise<void>, log: Logger, tries = 6): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      const passing =
        err instanceof WebexNetworkError ||
        (err instanceof WebexApiError && !err.isPermanent && err.status !== 401) ||
        (err instanceof KmsError && err.status === undefined);
      if (!passing || attempt >= tries) throw err;
      const delay = 1000 * 2 ** (attempt - 1);
      log.warn(
        { attempt, delay, error: err instanceof Error ? err.message : String(err) },
        'transport start failed; retrying',
      );
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * Receiving over Mercury (no public URL): the library's WebexMessageHandler registers a device,
 * keeps the socket up (heartbeat, reconnect with backoff, reconciliation of what was missed) and
 * decrypts activities into the same typed events the webhook receiver gives.
 */
import {
  type Clock,
  type Logger,
  type WebexClient,
  type WebexEvent,
  WebexMessageHandler,
  type WebexMessageHandlerOptions,
} from '@herald/webex';
import type { EventSink, Transport } from './transport.js';

export interface MercuryTransportOptions {
  token: string;
  client: WebexClient;
  apiBaseUrl?: string | undefined;
  u2cUrl?: string | undefined;
  allowedOrigins?: string[] | undefined;
  /** Distinct per instance, so that two instances do not take over each other's device. */
  deviceName: string;
  onEvent: EventSink;
  logger: Logger;
  /** First pause before connecting again after the handler gave up, ms. Default 15000. */
  reviveBaseMs?: number | undefined;
  /** Longest such pause, ms. Default 300000 (5 minutes). */
  reviveMaxMs?: number | undefined;
  /** Heartbeat, backoff and timeouts of the handler; default the system clock. */
  clock?: Clock | undefined;
  /** The proxy for U2C, WDM, KMS, REST and the WebSocket upgrade; default direct. */
  proxy?: WebexMessageHandlerOptions['proxy'];
}

const EVENT_TYPES = [
  'message.created',
  'membership.created',
  'attachmentAction.created',
  'message.updated',
] as const;

export function mercuryTransport(options: MercuryTransportOptions): Transport {
  const handler = new WebexMessageHandler({
    token: options.token,
    baseUrl: options.apiBaseUrl,
    u2cUrl: options.u2cUrl,
    allowedOrigins: options.allowedOrigins,
    deviceName: options.deviceName,
    // Keep the device across restarts: the next run takes it over instead of registering another.
    unregisterOnDisconnect: false,
    logger: options.logger,
    clock: options.clock,
    proxy: options.proxy,
  });
  for (const type of EVENT_TYPES) {
    handler.on(type, (event: WebexEvent) => {
      void options.onEvent(event);
    });
  }
  handler.on('error', (err) => options.logger.warn({ error: err.message }, 'mercury'));
  handler.on('reconnecting', ({ attempt, delay }) =>
    options.logger.info({ attempt, delay }, 'mercury reconnecting'),
  );

  // The handler gives up after maxReconnectAttempts failures in a row (a flapping link). The bot
  // must not stop listening for good: it connects again after a pause that grows to 5 minutes.
  // A refused token is final (nothing to gain but a log flood), and so is `replaced` (another
  // connection took over this device: two instances share a device name).
  let stopped = false;
  let revivals = 0;
  let timer: NodeJS.Timeout | undefined;
  let state: 'down' | 'up' | 'failed' = 'down';
  const revive = () => {
    if (stopped) return;
    const delay = Math.min(
      options.reviveMaxMs ?? 300_000,
      (options.reviveBaseMs ?? 15_000) * 2 ** revivals++,
    );
    options.logger.warn({ delay }, 'mercury gave up reconnecting; connecting again later');
    timer = setTimeout(() => {
      handler.connect().catch((err: Error) => {
        options.logger.warn({ error: err.message }, 'mercury reconnect failed');
        revive();
      });
    }, delay);
    timer.unref();
  };
  handler.on('connected', () => {
    state = 'up';
    revivals = 0;
  });
  handler.on('disconnected', ({ reason }) => {
    if (reason === 'client') return;
    state = 'down';
    if (reason === 'auth-failed' || reason === 'replaced') {
      state = 'failed';
      options.logger.error({ reason }, 'mercury stopped: the bot no longer receives messages');
      return;
    }
    options.logger.warn({ reason }, 'mercury disconnected');
    revive();
  });
  return {
    name: 'mercury',
    start: () => handler.connect(),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await handler.disconnect();
    },
    health: () => ({ ok: state === 'up', detail: `mercury ${state}` }),
  };
}

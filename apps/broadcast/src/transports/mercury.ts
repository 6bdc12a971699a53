/**
 * Receiving over Mercury (no public URL): the library's WebexMessageHandler registers a device,
 * keeps the socket up (heartbeat, reconnect with backoff, reconciliation of what was missed) and
 * decrypts activities into the same typed events the webhook receiver gives.
 */
import { type Logger, type WebexClient, type WebexEvent, WebexMessageHandler } from '@herald/webex';
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
  });
  for (const type of EVENT_TYPES) {
    handler.on(type, (event: WebexEvent) => {
      void options.onEvent(event);
    });
  }
  handler.on('error', (err) => options.logger.warn({ error: err.message }, 'mercury'));
  handler.on('disconnected', ({ reason }) =>
    options.logger.warn({ reason: String(reason) }, 'mercury disconnected'),
  );
  handler.on('reconnecting', ({ attempt, delay }) =>
    options.logger.info({ attempt, delay }, 'mercury reconnecting'),
  );
  return {
    name: 'mercury',
    start: () => handler.connect(),
    stop: () => handler.disconnect(),
  };
}

/**
 * Receiving over webhooks: a verified receiver (signature checked before anything else, duplicates
 * dropped, the message fetched) and, at start, an idempotent registration of the webhooks the bot
 * needs, owned by name prefix (other tools' webhooks are left alone, D33).
 */
import {
  createNodeHandler,
  type Logger,
  syncWebhooks,
  type WebexClient,
  WebhookReceiver,
} from '@herald/webex';
import type { EventSink, Transport } from './transport.js';

/** The bot needs its messages (new and edited), its memberships and submissions of its cards. */
export const BOT_WEBHOOKS = [
  { resource: 'messages', event: 'created' },
  // Edits of a broadcast's source are propagated to its copies (`messages:updated`, docs/protocol.md §7.7 table).
  { resource: 'messages', event: 'updated' },
  { resource: 'memberships', event: 'created' },
  { resource: 'attachmentActions', event: 'created' },
] as const;

export interface WebhookTransportOptions {
  client: WebexClient;
  publicUrl: string;
  secret: string;
  /** Path the bot's server mounts the receiver at. Default `/webhook`. */
  path?: string | undefined;
  onEvent: EventSink;
  logger: Logger;
  /** Register at start (default true); `herald webhooks sync` does it on demand. */
  register?: boolean | undefined;
}

export function webhookTargetUrl(publicUrl: string, path = '/webhook'): string {
  return new URL(path, publicUrl.endsWith('/') ? publicUrl : `${publicUrl}/`).href;
}

export function registerBotWebhooks(client: WebexClient, publicUrl: string, secret: string, path?: string) {
  return syncWebhooks({
    client,
    targetUrl: webhookTargetUrl(publicUrl, path),
    secret,
    resources: BOT_WEBHOOKS,
    namePrefix: 'herald-broadcast',
  });
}

export function webhookTransport(options: WebhookTransportOptions): Transport {
  const receiver = new WebhookReceiver({
    secret: options.secret,
    client: options.client,
    logger: options.logger,
  });
  receiver.on('event', (event) => options.onEvent(event));
  receiver.on('error', (error, context) =>
    options.logger.warn({ stage: context.stage, error: String(error) }, 'webhook processing failed'),
  );
  return {
    name: 'webhook',
    webhookHandler: createNodeHandler(receiver),
    async start() {
      if (options.register === false) return;
      const result = await registerBotWebhooks(
        options.client,
        options.publicUrl,
        options.secret,
        options.path,
      );
      options.logger.info({ actions: result.actions.map((a) => a.kind) }, 'webhooks synchronised');
    },
    async stop() {
      await receiver.idle();
    },
  };
}

/**
 * The webhooks the bot needs, registered idempotently and owned by name prefix (other tools'
 * webhooks are left alone, D33): at start when receiving over webhooks, and by `herald webhooks sync`.
 */
import { syncWebhooks, type WebexClient } from '@herald/webex';

/** The bot needs its messages (new and edited), its memberships and submissions of its cards. */
export const BOT_WEBHOOKS = [
  { resource: 'messages', event: 'created' },
  // Edits of a broadcast's source are propagated to its copies (`messages:updated`, §2.8 table).
  { resource: 'messages', event: 'updated' },
  { resource: 'memberships', event: 'created' },
  { resource: 'attachmentActions', event: 'created' },
] as const;

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

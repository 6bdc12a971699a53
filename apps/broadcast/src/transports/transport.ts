/** How events reach the bot. The bot core imports neither `ws` nor `node:http`. */
import type { NodeWebhookHandler, WebexEvent } from '@herald/webex';

export interface Transport {
  readonly name: 'mercury' | 'webhook';
  /** Begin receiving; events go to the `onEvent` given at construction. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Whether events can arrive now (for `/health`); absent means always. */
  health?(): { ok: boolean; detail: string };
  /** For the webhook transport: the handler the bot's HTTP server mounts. */
  readonly webhookHandler?: NodeWebhookHandler | undefined;
}

export type EventSink = (event: WebexEvent) => Promise<void>;

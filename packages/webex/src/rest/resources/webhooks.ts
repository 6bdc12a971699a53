/** Webhook registrations (docs/protocol.md §7.7). */
import type { CallOptions, WriteCallOptions } from '../options.js';
import type { Paginated } from '../paginate.js';
import type { Webhook } from '../types.js';
import { Collection } from './collection.js';
import type { ResourceContext } from './context.js';
import { queryOf, requireString } from './util.js';

export interface ListWebhooksParams {
  /** `org` for organization-level webhooks only. */
  ownedBy?: 'org' | undefined;
  /** Page size (default 100 on the server). */
  max?: number | undefined;
}

/** What `POST /webhooks` takes: the webhook's own fields, without those Webex assigns. */
export interface CreateWebhookParams
  extends Pick<Webhook, 'name' | 'targetUrl' | 'resource' | 'event' | 'filter' | 'secret' | 'ownedBy'> {}

export interface UpdateWebhookParams {
  /** Required by Webex on every update. */
  name: string;
  /** Required by Webex on every update. */
  targetUrl: string;
  secret?: string | undefined;
  /** Only `active`: re-activates a webhook Webex disabled; it cannot be deactivated (§7.7). */
  status?: 'active' | undefined;
  ownedBy?: 'creator' | 'org' | undefined;
}

export class WebhooksResource {
  readonly #webhooks: Collection<Webhook>;

  constructor(ctx: ResourceContext) {
    this.#webhooks = new Collection<Webhook>(ctx, '/webhooks', 'webhookId');
  }

  /** `GET /webhooks`: the caller's webhooks. */
  list(params: ListWebhooksParams = {}, options?: CallOptions): Paginated<Webhook> {
    return this.#webhooks.list(queryOf(params, ['ownedBy', 'max']), options);
  }

  /** `GET /webhooks/{webhookId}`. */
  async get(webhookId: string, options?: CallOptions): Promise<Webhook> {
    return this.#webhooks.get(webhookId, options);
  }

  /** `POST /webhooks`. */
  async create(params: CreateWebhookParams, options?: WriteCallOptions): Promise<Webhook> {
    for (const field of ['name', 'targetUrl', 'resource', 'event'] as const)
      requireString(field, params?.[field]);
    return this.#webhooks.create(params, options);
  }

  /** `PUT /webhooks/{webhookId}`: changes `name`, `targetUrl`, `secret`, `status`. */
  async update(webhookId: string, params: UpdateWebhookParams, options?: CallOptions): Promise<Webhook> {
    return this.#webhooks.update(webhookId, params, options, () => {
      requireString('name', params?.name);
      requireString('targetUrl', params?.targetUrl);
    });
  }

  /** `DELETE /webhooks/{webhookId}`. */
  async delete(webhookId: string, options?: CallOptions): Promise<void> {
    await this.#webhooks.delete(webhookId, options);
  }
}

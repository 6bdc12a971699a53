/** Webhook registrations (docs/protocol.md §7.7). */
import type { CallOptions, WriteCallOptions } from '../options.js';
import type { Paginated } from '../paginate.js';
import type { Webhook, WebhookEvent, WebhookResource } from '../types.js';
import type { ResourceContext } from './context.js';
import { callSpec, defined, idSegment, requireString } from './util.js';

export interface ListWebhooksParams {
  /** `org` for organization-level webhooks only. */
  ownedBy?: 'org' | undefined;
  /** Page size (default 100 on the server). */
  max?: number | undefined;
}

export interface CreateWebhookParams {
  name: string;
  /** Where Webex POSTs events. */
  targetUrl: string;
  resource: WebhookResource;
  event: WebhookEvent;
  /** `key=value` pairs joined with `&`, e.g. `roomId=…&mentionedPeople=me`. */
  filter?: string | undefined;
  /** HMAC-SHA1 key of `X-Spark-Signature` (§8.4). */
  secret?: string | undefined;
  /** `org` for organization-wide webhooks (administrators). */
  ownedBy?: 'creator' | 'org' | undefined;
}

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
  constructor(private readonly ctx: ResourceContext) {}

  /** `GET /webhooks`: the caller's webhooks. */
  list(params: ListWebhooksParams = {}, options?: CallOptions): Paginated<Webhook> {
    return this.ctx.list<Webhook>({
      method: 'GET',
      path: '/webhooks',
      query: { ownedBy: params.ownedBy, max: params.max },
      ...callSpec(options),
    });
  }

  /** `GET /webhooks/{webhookId}`. */
  async get(webhookId: string, options?: CallOptions): Promise<Webhook> {
    return this.ctx.json<Webhook>({
      method: 'GET',
      path: `/webhooks/${idSegment('webhookId', webhookId)}`,
      ...callSpec(options),
    });
  }

  /** `POST /webhooks`. */
  async create(params: CreateWebhookParams, options?: WriteCallOptions): Promise<Webhook> {
    for (const field of ['name', 'targetUrl', 'resource', 'event'] as const)
      requireString(field, params?.[field]);
    return this.ctx.json<Webhook>({
      method: 'POST',
      path: '/webhooks',
      json: defined(params),
      ...callSpec(options),
    });
  }

  /** `PUT /webhooks/{webhookId}`: changes `name`, `targetUrl`, `secret`, `status`. */
  async update(webhookId: string, params: UpdateWebhookParams, options?: CallOptions): Promise<Webhook> {
    const path = `/webhooks/${idSegment('webhookId', webhookId)}`;
    requireString('name', params?.name);
    requireString('targetUrl', params?.targetUrl);
    return this.ctx.json<Webhook>({ method: 'PUT', path, json: defined(params), ...callSpec(options) });
  }

  /** `DELETE /webhooks/{webhookId}`. */
  async delete(webhookId: string, options?: CallOptions): Promise<void> {
    await this.ctx.empty({
      method: 'DELETE',
      path: `/webhooks/${idSegment('webhookId', webhookId)}`,
      ...callSpec(options),
    });
  }
}

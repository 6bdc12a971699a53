/**
 * `WebexClient`: thin typed resources over one request pipeline.
 *
 * ```ts
 * const client = new WebexClient({ token });
 * const me = await client.people.me();
 * for await (const room of client.rooms.list({ max: 100 })) console.log(room.title);
 * ```
 */
import { resolveOptions, type WebexClientOptions } from './options.js';
import { Pipeline, type PipelineResponse, type RequestSpec } from './pipeline.js';
import { AttachmentActionsResource } from './resources/attachment-actions.js';
import { ContentsResource } from './resources/contents.js';
import { ResourceContext } from './resources/context.js';
import { MembershipsResource } from './resources/memberships.js';
import { MessagesResource } from './resources/messages.js';
import { OrganizationsResource } from './resources/organizations.js';
import { PeopleResource } from './resources/people.js';
import { RoomsResource } from './resources/rooms.js';
import { WebhooksResource } from './resources/webhooks.js';

export class WebexClient {
  readonly people: PeopleResource;
  readonly organizations: OrganizationsResource;
  readonly rooms: RoomsResource;
  readonly memberships: MembershipsResource;
  readonly messages: MessagesResource;
  readonly attachmentActions: AttachmentActionsResource;
  readonly webhooks: WebhooksResource;
  readonly contents: ContentsResource;
  private readonly pipeline: Pipeline;

  constructor(options: WebexClientOptions) {
    this.pipeline = new Pipeline(resolveOptions(options));
    const ctx = new ResourceContext(this.pipeline);
    this.people = new PeopleResource(ctx);
    this.organizations = new OrganizationsResource(ctx);
    this.rooms = new RoomsResource(ctx);
    this.memberships = new MembershipsResource(ctx);
    this.messages = new MessagesResource(ctx);
    this.attachmentActions = new AttachmentActionsResource(ctx);
    this.webhooks = new WebhooksResource(ctx);
    this.contents = new ContentsResource(ctx, this.pipeline);
  }

  /** The base URL in use, without a trailing slash (e.g. `https://webexapis.com/v1`). */
  get baseUrl(): string {
    return this.pipeline.options.base;
  }

  /**
   * Escape hatch for endpoints without a typed resource: one call through the same pipeline
   * (auth, retries, errors). `path` is below the base URL, e.g. `/teams`.
   */
  request(spec: RequestSpec): Promise<PipelineResponse> {
    return this.pipeline.request(spec);
  }
}

// The REST client: one pipeline, typed resources, wire types.
export { WebexClient } from './client.js';
export type { LinkValue } from './headers.js';
export type {
  CallOptions,
  ResolvedOptions,
  RestRetryPolicy,
  Sleep,
  WebexClientOptions,
  WriteCallOptions,
} from './options.js';
export { DEFAULT_BASE_URL, DEFAULT_RETRY_POLICY, defaultSleep } from './options.js';
export type { Page } from './paginate.js';
export { Paginated } from './paginate.js';
export type { HttpMethod, Pipeline, PipelineResponse, QueryValue, RequestSpec } from './pipeline.js';
export type {
  AttachmentActionsResource,
  CreateAttachmentActionParams,
} from './resources/attachment-actions.js';
export type { ContentInfo, ContentsResource, DownloadOptions } from './resources/contents.js';
export {
  contentIdFromUrl,
  DEFAULT_MAX_CONTENT_BYTES,
  DEFAULT_MAX_SCAN_WAIT_MS,
} from './resources/contents.js';
export type { ResourceContext } from './resources/context.js';
export type {
  CreateMembershipParams,
  ListMembershipsParams,
  MembershipsResource,
  UpdateMembershipParams,
} from './resources/memberships.js';
export type {
  CreateMessageParams,
  EditMessageParams,
  ListDirectMessagesParams,
  ListMessagesParams,
  MessageFile,
  MessagesResource,
} from './resources/messages.js';
export type { OrganizationsResource } from './resources/organizations.js';
export type { ListPeopleParams, PeopleResource } from './resources/people.js';
export type {
  CreateRoomParams,
  ListRoomsParams,
  RoomsResource,
  UpdateRoomParams,
} from './resources/rooms.js';
export type {
  CreateWebhookParams,
  ListWebhooksParams,
  UpdateWebhookParams,
  WebhooksResource,
} from './resources/webhooks.js';
export type * from './types.js';

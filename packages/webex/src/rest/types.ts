/**
 * Wire types of the Webex REST resources the client covers, named and spelled as on the wire.
 * Field lists follow docs/protocol.md §7 (OAS unless noted there). Every id is a REST
 * ("Hydra") id, every timestamp an ISO-8601 UTC string (§6.1, §7.1). Fields that Webex leaves out
 * in some answers (presence, admin-only data, `markdown`, `html`, …) are optional.
 */

/** `direct` (1-1) or `group`, as REST and the events name a room's kind. */
export type RoomType = 'direct' | 'group';

/** A card as carried by a message (`attachments[]`). */
export interface CardAttachment {
  contentType: 'application/vnd.microsoft.card.adaptive';
  content: Record<string, unknown>;
}

/** The body of every list endpoint (§7.1). */
export interface ListResponse<T> {
  items: T[];
  /** `GET /people?id=…`: ids that matched nobody (§7.2). */
  notFoundIds?: string[] | undefined;
}

// ---------------------------------------------------------------------------------------------
// People (§7.2)

export interface PhoneNumber {
  type: string;
  value: string;
  primary?: boolean | undefined;
}

export interface SipAddress {
  type: string;
  value: string;
  primary?: boolean | undefined;
}

export interface PersonAddress {
  type?: string | undefined;
  country?: string | undefined;
  locality?: string | undefined;
  region?: string | undefined;
  streetAddress?: string | undefined;
  postalCode?: string | undefined;
}

export type PersonStatus =
  | 'active'
  | 'call'
  | 'DoNotDisturb'
  | 'inactive'
  | 'meeting'
  | 'OutOfOffice'
  | 'pending'
  | 'presenting'
  | 'unknown';

/** `person`, `bot` or `appuser` (guest). */
export type PersonType = 'person' | 'bot' | 'appuser';

export interface Person {
  /** PEOPLE id. */
  id: string;
  /** Only one address is used per person (§7.2). Bots end in `@webex.bot` (older: `@sparkbot.io`). */
  emails: string[];
  phoneNumbers?: PhoneNumber[] | undefined;
  extension?: string | undefined;
  locationId?: string | undefined;
  displayName: string;
  /** Absent when not configured. */
  nickName?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  /** May be absent. */
  avatar?: string | undefined;
  /** ORGANIZATION id of the person's organization. */
  orgId: string;
  /** Admin only. */
  roles?: string[] | undefined;
  /** Admin only. */
  licenses?: string[] | undefined;
  department?: string | undefined;
  manager?: string | undefined;
  managerId?: string | undefined;
  title?: string | undefined;
  addresses?: PersonAddress[] | undefined;
  created?: string | undefined;
  lastModified?: string | undefined;
  /** Absent when not configured. */
  timezone?: string | undefined;
  /** Presence; only for the caller's own or managed organizations. */
  lastActivity?: string | undefined;
  /** Presence; only for the caller's own or managed organizations. */
  status?: PersonStatus | undefined;
  siteUrls?: string[] | undefined;
  sipAddresses?: SipAddress[] | undefined;
  xmppFederationJid?: string | undefined;
  /** `"true"` / `"false"` as a string (admin only). */
  invitePending?: string | undefined;
  /** `"true"` / `"false"` as a string (admin only). */
  loginEnabled?: string | undefined;
  type: PersonType;
}

// ---------------------------------------------------------------------------------------------
// Organizations (§7.2)

export interface Organization {
  /** ORGANIZATION id. */
  id: string;
  displayName: string;
  created?: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Rooms (§7.3)

export interface Room {
  /** ROOM id. */
  id: string;
  /** For a direct room, the other person's display name. */
  title: string;
  type: RoomType;
  isLocked: boolean;
  teamId?: string | undefined;
  lastActivity?: string | undefined;
  /** PEOPLE id of the creator. */
  creatorId: string;
  created: string;
  /** ORGANIZATION id that owns the room (what is held for direct rooms is unconfirmed, §7.3). */
  ownerId?: string | undefined;
  classificationId?: string | undefined;
  /** Only moderators may post; requires `isLocked` (§7.3). */
  isAnnouncementOnly?: boolean | undefined;
  isReadOnly?: boolean | undefined;
  isPublic?: boolean | undefined;
  madePublic?: string | undefined;
  description?: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Memberships (§7.3)

export interface Membership {
  /** MEMBERSHIP id (`<personUuid>:<roomUuid>` inside). */
  id: string;
  roomId: string;
  personId: string;
  personEmail: string;
  personDisplayName?: string | undefined;
  personOrgId?: string | undefined;
  isModerator: boolean;
  /** Direct rooms. */
  isRoomHidden?: boolean | undefined;
  roomType?: RoomType | undefined;
  /** Deprecated, still sent by Webex. */
  isMonitor?: boolean | undefined;
  created: string;
}

// ---------------------------------------------------------------------------------------------
// Messages (§7.4)

export interface Message {
  /** MESSAGE id. */
  id: string;
  /** Thread parent (MESSAGE id). */
  parentId?: string | undefined;
  roomId: string;
  roomType: RoomType;
  /** Plain text; may be absent for a file-only message. */
  text?: string | undefined;
  /** The markdown the sender wrote; when Webex omits it is unconfirmed (§7.4). */
  markdown?: string | undefined;
  /** Rendered HTML with `<spark-mention>` tags (§5.4); may be absent. */
  html?: string | undefined;
  /** Content URLs `…/v1/contents/<CONTENT id>` (§7.6). */
  files?: string[] | undefined;
  personId: string;
  personEmail: string;
  /** PEOPLE ids mentioned. */
  mentionedPeople?: string[] | undefined;
  /** Group mentions, e.g. `['all']`. */
  mentionedGroups?: string[] | undefined;
  attachments?: CardAttachment[] | undefined;
  created: string;
  /** Only after an edit. */
  updated?: string | undefined;
  isVoiceClip?: boolean | undefined;
  /** Echoed by the create answer when the message was sent with `toPersonId`. */
  toPersonId?: string | undefined;
  /** Echoed by the create answer when the message was sent with `toPersonEmail`. */
  toPersonEmail?: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Attachment actions (§7.5)

export interface AttachmentAction {
  /** ATTACHMENT_ACTION id. */
  id: string;
  type: 'submit';
  /** The message that carries the card. */
  messageId: string;
  /** Input id -> value. */
  inputs: Record<string, unknown>;
  personId: string;
  roomId: string;
  created: string;
}

// ---------------------------------------------------------------------------------------------
// Webhooks (§7.7)

/** Messaging resources plus the firehose `all`; other strings are accepted as Webex adds resources. */
export type WebhookResource =
  | 'messages'
  | 'memberships'
  | 'rooms'
  | 'attachmentActions'
  | 'all'
  | (string & {});

export type WebhookEvent =
  | 'created'
  | 'updated'
  | 'deleted'
  | 'started'
  | 'ended'
  | 'joined'
  | 'left'
  | 'migrated'
  | 'authorized'
  | 'deauthorized'
  | 'statusChanged'
  | 'all'
  | (string & {});

export interface Webhook {
  /** WEBHOOK id. */
  id: string;
  name: string;
  /** Where Webex POSTs events. */
  targetUrl: string;
  resource: WebhookResource;
  event: WebhookEvent;
  /** `key=value` pairs joined with `&` (§7.7), e.g. `roomId=…&mentionedPeople=me`. */
  filter?: string | undefined;
  /** HMAC-SHA1 key of `X-Spark-Signature` (§8.4). Returned in answers when set. */
  secret?: string | undefined;
  status: 'active' | 'inactive';
  created: string;
  /** `creator` (default) or `org`, for organization-wide webhooks (administrators). */
  ownedBy?: 'creator' | 'org' | undefined;
  orgId?: string | undefined;
  createdBy?: string | undefined;
  appId?: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Contents (§7.6)

/** A downloaded file. */
export interface DownloadedContent {
  data: Buffer;
  /** From `Content-Disposition` (RFC 5987 `filename*` preferred), else the URL's last segment. */
  filename: string;
  /** From `Content-Type`; `application/octet-stream` when absent. */
  contentType: string;
  /** Bytes received (equals `data.length`). */
  size: number;
}

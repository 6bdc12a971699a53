/**
 * THE contract: the typed events both receivers emit. An application written against these types
 * does not know whether an event came over Mercury or a webhook. All ids are REST ids (base64),
 * all timestamps ISO-8601 UTC strings.
 *
 * Field names follow the REST objects (docs/protocol.md §7.3, §7.5, §8.3). The webhook
 * receiver hydrates (GETs the message or the attachment action) so that both transports fill the
 * same fields; a field only one transport can know is optional and documented as such.
 */

import type { CardAttachment, Message as RestMessage, RoomType } from './rest/types.js';

export type { CardAttachment, RoomType };

export interface MessageData {
  /** REST MESSAGE id. */
  id: string;
  roomId: string;
  roomType: RoomType;
  /** Sender. */
  personId: string;
  personEmail: string;
  /** Plain text ('' for a file-only message). */
  text: string;
  /** Rendered HTML with `<spark-mention>` tags, when the message has formatting or mentions. */
  html?: string | undefined;
  /**
   * The markdown the sender wrote. REST carries it; Mercury activities do not, so a message event
   * from Mercury leaves it undefined. Fetch the message over REST when it is needed.
   */
  markdown?: string | undefined;
  /** PEOPLE ids mentioned. */
  mentionedPeople: string[];
  /** Group mentions, e.g. `['all']`. */
  mentionedGroups: string[];
  /** Content URLs (`<base>/contents/<CONTENT id>`), downloadable with the bot's token. */
  files: string[];
  /** Cards attached to the message. */
  attachments: CardAttachment[];
  /** Thread parent (REST MESSAGE id). */
  parentId?: string | undefined;
  created: string;
  /** Set after an edit. */
  updated?: string | undefined;
}

export interface MessageDeletedData {
  id: string;
  roomId: string;
  roomType: RoomType;
  /** Who deleted it (Mercury: the actor; webhook: `data.personId`). */
  personId: string;
  personEmail?: string | undefined;
}

export interface AttachmentActionData {
  id: string;
  type: 'submit';
  /** The message that carries the card. */
  messageId: string;
  personId: string;
  roomId: string;
  inputs: Record<string, unknown>;
  created: string;
}

export interface MembershipData {
  /** REST MEMBERSHIP id (`<personUuid>:<roomUuid>`). */
  id: string;
  roomId: string;
  personId: string;
  personEmail?: string | undefined;
  personDisplayName?: string | undefined;
  personOrgId?: string | undefined;
  isModerator: boolean;
  roomType?: RoomType | undefined;
  created?: string | undefined;
}

export interface RoomData {
  id: string;
  type: RoomType;
  title?: string | undefined;
  isLocked: boolean;
  isAnnouncementOnly?: boolean | undefined;
  creatorId?: string | undefined;
  /** ORGANIZATION id that owns the room, when the transport carries it. */
  ownerId?: string | undefined;
  lastActivity?: string | undefined;
  created?: string | undefined;
}

export type Transport = 'mercury' | 'webhook';

/** What every event carries: its type, its data, and which receiver it came through. */
export interface EventBase<T extends string, D> {
  type: T;
  data: D;
  /** Person who caused the event (the sender, the one who added a member, …), when known. */
  actorId?: string | undefined;
  /** Which receiver produced it. */
  transport: Transport;
  /** When the receiver got it (ISO-8601). */
  receivedAt: string;
}

export type MessageCreatedEvent = EventBase<'message.created', MessageData>;
export type MessageUpdatedEvent = EventBase<'message.updated', MessageData>;
export type MessageDeletedEvent = EventBase<'message.deleted', MessageDeletedData>;
export type AttachmentActionCreatedEvent = EventBase<'attachmentAction.created', AttachmentActionData>;
export type MembershipCreatedEvent = EventBase<'membership.created', MembershipData>;
export type MembershipUpdatedEvent = EventBase<'membership.updated', MembershipData>;
export type MembershipDeletedEvent = EventBase<'membership.deleted', MembershipData>;
export type RoomCreatedEvent = EventBase<'room.created', RoomData>;
export type RoomUpdatedEvent = EventBase<'room.updated', RoomData>;

export type WebexEvent =
  | MessageCreatedEvent
  | MessageUpdatedEvent
  | MessageDeletedEvent
  | AttachmentActionCreatedEvent
  | MembershipCreatedEvent
  | MembershipUpdatedEvent
  | MembershipDeletedEvent
  | RoomCreatedEvent
  | RoomUpdatedEvent;

export type WebexEventType = WebexEvent['type'];

/** Map from event type to event, for typed `on(type, handler)` signatures. */
export type WebexEventMap = { [E in WebexEvent as E['type']]: E };

/**
 * A key that is the same for the same happening whichever transport delivered it, for
 * de-duplication: `<type>:<data.id>`, plus the `updated` time for edits (each edit is its own event)
 * and the moderator flag for membership updates.
 */
export function eventKey(event: WebexEvent): string {
  switch (event.type) {
    case 'message.updated':
      return `${event.type}:${event.data.id}:${event.data.updated ?? ''}`;
    case 'membership.updated':
      return `${event.type}:${event.data.id}:${event.data.isModerator}`;
    default:
      return `${event.type}:${event.data.id}`;
  }
}

/** A REST message (`GET /messages/{id}`) as event data; absent lists become empty ones. */
export function messageDataFromRest(m: RestMessage): MessageData {
  return {
    id: m.id,
    roomId: m.roomId,
    roomType: m.roomType,
    personId: m.personId,
    personEmail: m.personEmail,
    text: m.text ?? '',
    html: m.html,
    markdown: m.markdown,
    mentionedPeople: m.mentionedPeople ?? [],
    mentionedGroups: m.mentionedGroups ?? [],
    files: m.files ?? [],
    attachments: m.attachments ?? [],
    parentId: m.parentId,
    created: m.created,
    updated: m.updated,
  };
}

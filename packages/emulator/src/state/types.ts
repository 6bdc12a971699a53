/**
 * The emulator's in-memory model. Entities hold UUIDs (the Mercury side of an id); REST ids are
 * made at the edges with `@herald/webex`'s id codec (`encodeId`). Timestamps are ISO-8601 strings
 * with milliseconds and `Z` (docs/protocol.md §7.1).
 *
 * Every mutation of the world emits exactly one `Change` on `world.changes` (see `World`), in commit
 * order, with an increasing `seq`. Webhook delivery and Mercury fan-out both subscribe to it and
 * ask `world.audience(change)` who may learn of it (the bot visibility rules live in one place).
 */

export type RoomType = 'direct' | 'group';

export interface Org {
  id: string;
  displayName: string;
  created: string;
}

export interface Person {
  id: string;
  orgId: string;
  emails: string[];
  displayName: string;
  firstName?: string | undefined;
  lastName?: string | undefined;
  nickName?: string | undefined;
  avatar?: string | undefined;
  /** `bot` persons see group messages only when mentioned. */
  type: 'person' | 'bot';
  /** Bearer token(s) accepted for this person. */
  tokens: string[];
  created: string;
}

export interface Room {
  id: string;
  title: string;
  type: RoomType;
  isLocked: boolean;
  isAnnouncementOnly: boolean;
  /** ORGANIZATION uuid owning the room (the creator's org). */
  ownerId: string;
  /** PEOPLE uuid. */
  creatorId: string;
  created: string;
  lastActivity: string;
  description?: string | undefined;
  isPublic?: boolean | undefined;
  teamId?: string | undefined;
  /** `kms://…/keys/<uuid>`: the room's content key, used by Mercury/KMS. */
  encryptionKeyUrl: string;
}

export interface Membership {
  /** PEOPLE uuid. */
  personId: string;
  /** ROOM uuid. REST id is MEMBERSHIP `<personId>:<roomId>`. */
  roomId: string;
  isModerator: boolean;
  isRoomHidden: boolean;
  created: string;
}

export interface CardAttachment {
  contentType: 'application/vnd.microsoft.card.adaptive';
  content: Record<string, unknown>;
}

export interface StoredFile {
  /** `<messageUuid>/<index>`: the uuid part of the CONTENT id. */
  id: string;
  name: string;
  contentType: string;
  bytes: Buffer;
  /** Downloads answered 423 "being scanned" before the bytes are served. */
  scanPollsLeft: number;
  /** Scan verdict once the polls are used up. */
  scanResult: 'clean' | 'infected' | 'unscannable';
}

export interface Message {
  id: string;
  roomId: string;
  /** Sender (PEOPLE uuid). */
  personId: string;
  text: string;
  markdown?: string | undefined;
  html?: string | undefined;
  /** PEOPLE uuids. */
  mentionedPeople: string[];
  /** e.g. `['all']`. */
  mentionedGroups: string[];
  /** File uuid parts (`<messageUuid>/<index>`), in order. */
  files: string[];
  attachments: CardAttachment[];
  /** Thread parent (MESSAGE uuid). */
  parentId?: string | undefined;
  created: string;
  updated?: string | undefined;
  editCount: number;
  deleted: boolean;
}

export interface AttachmentAction {
  id: string;
  type: 'submit';
  messageId: string;
  personId: string;
  roomId: string;
  inputs: Record<string, unknown>;
  created: string;
}

export interface Webhook {
  id: string;
  /** Creator (PEOPLE uuid); webhooks are creator-owned. */
  ownerPersonId: string;
  name: string;
  targetUrl: string;
  resource: string;
  event: string;
  filter?: string | undefined;
  secret?: string | undefined;
  status: 'active' | 'inactive';
  ownedBy: 'creator' | 'org';
  created: string;
  /** Consecutive failed deliveries (reset by a success or by PUT status=active). */
  failures: number;
}

/** One mutation of the world. `actorId` is the PEOPLE uuid of who caused it. */
export type Change =
  | { seq: number; kind: 'message.created'; actorId: string; message: Message }
  | { seq: number; kind: 'message.updated'; actorId: string; message: Message }
  | { seq: number; kind: 'message.deleted'; actorId: string; message: Message }
  | {
      seq: number;
      kind: 'membership.created' | 'membership.updated' | 'membership.deleted';
      actorId: string;
      membership: Membership;
    }
  | { seq: number; kind: 'room.created' | 'room.updated'; actorId: string; room: Room }
  | { seq: number; kind: 'attachmentAction.created'; actorId: string; action: AttachmentAction };

export type ChangeKind = Change['kind'];

/** A seed: the starting world. People's `token` defaults to a generated one. */
export interface Seed {
  orgs: Array<{ id?: string; displayName: string; key?: string }>;
  people: Array<{
    id?: string;
    key?: string;
    /** Org key or uuid. */
    org: string;
    email: string;
    displayName: string;
    firstName?: string;
    lastName?: string;
    type?: 'person' | 'bot';
    token?: string;
  }>;
  rooms: Array<{
    id?: string;
    key?: string;
    title: string;
    type?: RoomType;
    /** Person key or uuid of the creator; the room's ownerId is the creator's org. */
    creator: string;
    isLocked?: boolean;
    isAnnouncementOnly?: boolean;
    /** Person keys or uuids; the creator is always a member (a moderator when locked). */
    members?: Array<string | { person: string; isModerator?: boolean }>;
  }>;
}

/**
 * CONTRACT STUB — the signatures below are the agreed API of the emulator's world. The REST
 * subsystem's author replaces the bodies with the real implementation, keeping every signature
 * (adding is fine). Webhook delivery and Mercury code against these signatures.
 */
import { EventEmitter } from 'node:events';
import type {
  AttachmentAction,
  CardAttachment,
  Change,
  Membership,
  Message,
  Org,
  Person,
  Room,
  Seed,
  StoredFile,
  Webhook,
} from './types.js';

/** An error a world operation raises; REST answers it with `status` and Webex's error body. */
export class EmulatorHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

export interface NewFile {
  name: string;
  contentType: string;
  bytes: Buffer;
}

export interface PostMessageInput {
  /** Exactly one of roomId / toPersonId / toPersonEmail (uuids / e-mail). */
  roomId?: string;
  toPersonId?: string;
  toPersonEmail?: string;
  text?: string;
  markdown?: string;
  parentId?: string;
  /** At most one. */
  files?: NewFile[];
  /** At most one card. */
  attachments?: CardAttachment[];
}

interface WorldEvents {
  change: [Change];
  reset: [];
}

const todo = (): never => {
  throw new Error('world: not implemented yet');
};

export class World {
  /** Emits `change` synchronously after each committed mutation, in commit order; `reset` on reset. */
  readonly events = new EventEmitter<WorldEvents>();
  readonly orgs = new Map<string, Org>();
  readonly people = new Map<string, Person>();
  readonly rooms = new Map<string, Room>();
  /** Keyed `<personId>:<roomId>`. */
  readonly memberships = new Map<string, Membership>();
  readonly messages = new Map<string, Message>();
  /** Keyed by `<messageUuid>/<index>`. */
  readonly files = new Map<string, StoredFile>();
  readonly attachmentActions = new Map<string, AttachmentAction>();
  readonly webhooks = new Map<string, Webhook>();

  /** Injectable clock (ms since epoch). */
  constructor(readonly now: () => number = Date.now) {}

  loadSeed(_seed: Seed): void {
    todo();
  }
  reset(): void {
    todo();
  }

  personByToken(_token: string): Person | undefined {
    return todo();
  }
  personByEmail(_email: string): Person | undefined {
    return todo();
  }
  membersOf(_roomId: string): Membership[] {
    return todo();
  }
  membership(_personId: string, _roomId: string): Membership | undefined {
    return todo();
  }
  /** Membership plus the bot rule: a bot sees a group message only when it is mentioned or is its sender. */
  canSeeMessage(_personId: string, _message: Message): boolean {
    return todo();
  }
  /**
   * People who learn of a change (webhooks and Mercury both use this):
   * messages → members who can see the message (deleted: those who could see it);
   * memberships → every member of the room, plus the person whose membership it is;
   * rooms → every member; attachment actions → the card message's sender (and the submitter).
   */
  audience(_change: Change): Person[] {
    return todo();
  }
  /** The 1-1 room of two people, created (with a `room.created` + two `membership.created`) when asked. */
  directRoom(_aId: string, _bId: string, _create: boolean): Room | undefined {
    return todo();
  }

  postMessage(_senderId: string, _input: PostMessageInput): Message {
    return todo();
  }
  editMessage(_actorId: string, _messageId: string, _patch: { text?: string; markdown?: string }): Message {
    return todo();
  }
  deleteMessage(_actorId: string, _messageId: string): void {
    todo();
  }
  createRoom(
    _actorId: string,
    _input: { title: string; isLocked?: boolean; isAnnouncementOnly?: boolean; description?: string },
  ): Room {
    return todo();
  }
  updateRoom(
    _actorId: string,
    _roomId: string,
    _patch: { title?: string; isLocked?: boolean; isAnnouncementOnly?: boolean; description?: string },
  ): Room {
    return todo();
  }
  addMember(_actorId: string, _roomId: string, _personId: string, _isModerator?: boolean): Membership {
    return todo();
  }
  updateMember(_actorId: string, _roomId: string, _personId: string, _isModerator: boolean): Membership {
    return todo();
  }
  removeMember(_actorId: string, _roomId: string, _personId: string): void {
    todo();
  }
  submitCard(_personId: string, _messageId: string, _inputs: Record<string, unknown>): AttachmentAction {
    return todo();
  }
}

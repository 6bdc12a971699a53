/**
 * The emulator's world: every entity, in memory, and every mutation rule that does not depend on
 * the transport. REST, the control API, webhook delivery and Mercury all code against this class.
 *
 * Rules raise `EmulatorHttpError` with the status REST answers; the control API reuses them, so a
 * person acting through the control API obeys the same rules as one acting over REST.
 *
 * Every committed mutation emits one `Change` on `events` ('change'), synchronously, in commit order,
 * with an increasing `seq`; a compound operation (a first 1-1 message: room, two memberships,
 * message) emits one change per elementary mutation, in that order. `reset()`/`loadSeed()` emit
 * 'reset'. Changes carry snapshots, so a listener that works later sees the state at commit time.
 */
import { EventEmitter } from 'node:events';
import { CARD_CONTENT_TYPE, KMS_HOST, MAX_EDITS, MAX_MESSAGE_BYTES } from './limits.js';
import { renderMarkdown } from './markdown.js';
import { createRandom, type RandomSource } from './random.js';
import { applySeed } from './seed.js';
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

export interface WorldOptions {
  /**
   * Seed of the id/token generator. Given: ids and generated tokens are the same on every run
   * for the same operations. Default: random (`node:crypto`).
   */
  randomSeed?: number;
}

interface WorldEvents {
  change: [Change];
  reset: [];
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type ChangeInput = DistributiveOmit<Change, 'seq'>;

const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

export class World {
  /** Emits `change` synchronously after each committed mutation, in commit order; `reset` on reset. */
  readonly events = new EventEmitter<WorldEvents>();
  readonly orgs = new Map<string, Org>();
  readonly people = new Map<string, Person>();
  readonly rooms = new Map<string, Room>();
  /** Keyed `<personId>:<roomId>`. */
  readonly memberships = new Map<string, Membership>();
  /** In creation order (lists rely on it: newest last). Deleted messages stay, flagged `deleted`. */
  readonly messages = new Map<string, Message>();
  /** Keyed by `<messageUuid>/<index>`. */
  readonly files = new Map<string, StoredFile>();
  readonly attachmentActions = new Map<string, AttachmentAction>();
  readonly webhooks = new Map<string, Webhook>();
  /** Seed keys -> uuids (`keys.people.get('alice')`). */
  readonly keys = {
    orgs: new Map<string, string>(),
    people: new Map<string, string>(),
    rooms: new Map<string, string>(),
  };

  private random: RandomSource;
  private seq = 0;
  /** Last seed loaded, for `reset()`. */
  private seed: Seed | undefined;

  /** Injectable clock (ms since epoch). */
  constructor(
    readonly now: () => number = Date.now,
    private readonly options: WorldOptions = {},
  ) {
    this.random = createRandom(options.randomSeed);
  }

  /** The clock as a wire timestamp, `YYYY-MM-DDTHH:MM:SS.mmmZ` (§1.5). */
  nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  uuid(): string {
    return this.random.uuid();
  }

  /** Replace the world with `seed` (remembered for `reset()`). Emits 'reset', no changes. */
  loadSeed(seed: Seed): void {
    this.clear();
    applySeed(this, seed, this.random, this.nowIso());
    this.seed = seed;
    this.events.emit('reset');
  }

  /** Back to the last seed (or empty), with the id generator restarted. Emits 'reset'. */
  reset(): void {
    this.clear();
    if (this.seed) applySeed(this, this.seed, this.random, this.nowIso());
    this.events.emit('reset');
  }

  private clear(): void {
    this.random = createRandom(this.options.randomSeed);
    this.seq = 0;
    for (const m of [this.orgs, this.people, this.rooms, this.memberships, this.messages, this.files])
      m.clear();
    this.attachmentActions.clear();
    this.webhooks.clear();
    for (const k of Object.values(this.keys)) k.clear();
  }

  /** Commit point: stamp and emit one change. */
  emit(change: ChangeInput): Change {
    const stamped = { ...change, seq: ++this.seq } as Change;
    this.events.emit('change', stamped);
    return stamped;
  }

  // ---- lookups ----------------------------------------------------------------------------

  personByToken(token: string): Person | undefined {
    for (const p of this.people.values()) if (p.tokens.includes(token)) return p;
    return undefined;
  }
  personByEmail(email: string): Person | undefined {
    const wanted = email.toLowerCase();
    for (const p of this.people.values()) if (p.emails.some((e) => e.toLowerCase() === wanted)) return p;
    return undefined;
  }
  /** A person by seed key, uuid or e-mail. */
  findPerson(ref: string): Person | undefined {
    const id = this.keys.people.get(ref) ?? ref;
    return this.people.get(id) ?? (ref.includes('@') ? this.personByEmail(ref) : undefined);
  }
  /** A room by seed key or uuid. */
  findRoom(ref: string): Room | undefined {
    return this.rooms.get(this.keys.rooms.get(ref) ?? ref);
  }
  membersOf(roomId: string): Membership[] {
    const out: Membership[] = [];
    for (const m of this.memberships.values()) if (m.roomId === roomId) out.push(m);
    return out;
  }
  membership(personId: string, roomId: string): Membership | undefined {
    return this.memberships.get(`${personId}:${roomId}`);
  }
  /** Rooms `personId` is a member of, in creation order. */
  roomsOf(personId: string): Room[] {
    const out: Room[] = [];
    for (const m of this.memberships.values()) {
      if (m.personId !== personId) continue;
      const room = this.rooms.get(m.roomId);
      if (room) out.push(room);
    }
    return out;
  }
  /** Membership plus the bot rule: a bot sees a group message only when it is mentioned or is its sender. */
  canSeeMessage(personId: string, message: Message): boolean {
    if (!this.membership(personId, message.roomId)) return false;
    const person = this.people.get(personId);
    if (person?.type !== 'bot') return true;
    const room = this.rooms.get(message.roomId);
    // §4.1: bots see every 1-1 message, group messages only when @mentioned (or their own).
    // Decision (§4.1 leaves `<@all>` unconfirmed): a group mention does not make a message visible to a bot.
    if (room?.type === 'direct') return true;
    return message.personId === personId || message.mentionedPeople.includes(personId);
  }
  /**
   * People who learn of a change (webhooks and Mercury both use this):
   * messages → members who can see the message (deleted: those who could see it);
   * memberships → every member of the room, plus the person whose membership it is;
   * rooms → every member; attachment actions → the card message's sender (and the submitter).
   */
  audience(change: Change): Person[] {
    const ids = new Set<string>();
    switch (change.kind) {
      case 'message.created':
      case 'message.updated':
      case 'message.deleted':
        for (const m of this.membersOf(change.message.roomId)) {
          if (this.canSeeMessage(m.personId, change.message)) ids.add(m.personId);
        }
        break;
      case 'membership.created':
      case 'membership.updated':
      case 'membership.deleted':
        for (const m of this.membersOf(change.membership.roomId)) ids.add(m.personId);
        ids.add(change.membership.personId);
        break;
      case 'room.created':
      case 'room.updated':
        for (const m of this.membersOf(change.room.id)) ids.add(m.personId);
        break;
      case 'attachmentAction.created': {
        const card = this.messages.get(change.action.messageId);
        if (card) ids.add(card.personId);
        ids.add(change.action.personId);
        break;
      }
    }
    const out: Person[] = [];
    for (const id of ids) {
      const p = this.people.get(id);
      if (p) out.push(p);
    }
    return out;
  }

  /** The 1-1 room of two people, created (with a `room.created` + two `membership.created`) when asked. */
  directRoom(aId: string, bId: string, create: boolean): Room | undefined {
    for (const m of this.memberships.values()) {
      if (m.personId !== aId) continue;
      const room = this.rooms.get(m.roomId);
      if (room?.type === 'direct' && this.membership(bId, room.id)) return room;
    }
    if (!create) return undefined;
    const a = this.mustPerson(aId);
    const b = this.mustPerson(bId);
    const now = this.nowIso();
    const room: Room = {
      id: this.uuid(),
      // Stored as seen by the creator; REST shows each viewer the other party's name (§4.5).
      title: b.displayName,
      type: 'direct',
      isLocked: false,
      isAnnouncementOnly: false,
      // Decision (§2.3 leaves ownerId of direct rooms unconfirmed): the creator's org, as for groups.
      ownerId: a.orgId,
      creatorId: a.id,
      created: now,
      lastActivity: now,
      encryptionKeyUrl: this.newKeyUrl(),
    };
    this.rooms.set(room.id, room);
    this.emit({ kind: 'room.created', actorId: a.id, room: { ...room } });
    for (const p of [a, b]) this.insertMembership(a.id, room.id, p.id, false);
    return room;
  }

  newKeyUrl(): string {
    return `kms://${KMS_HOST}/keys/${this.uuid()}`;
  }

  mustPerson(id: string): Person {
    const p = this.people.get(id);
    if (!p) throw new EmulatorHttpError(404, 'Could not find a person with provided ID.');
    return p;
  }
  /** The room, if `actorId` is a member; 404 otherwise (a non-member cannot tell it exists). */
  mustRoomOf(actorId: string, roomId: string): { room: Room; membership: Membership } {
    const room = this.rooms.get(roomId);
    const membership = room && this.membership(actorId, roomId);
    if (!room || !membership) throw new EmulatorHttpError(404, 'Could not find a room with provided ID.');
    return { room, membership };
  }
  /** A live message `actorId` can see; 404 otherwise (§4.1 decision: invisible = not found). */
  mustMessageFor(actorId: string, messageId: string): Message {
    const m = this.messages.get(messageId);
    if (!m || m.deleted || !this.canSeeMessage(actorId, m))
      throw new EmulatorHttpError(404, 'Unable to get message.');
    return m;
  }

  // ---- messages ---------------------------------------------------------------------------

  postMessage(senderId: string, input: PostMessageInput): Message {
    const sender = this.mustPerson(senderId);
    const targets = [input.roomId, input.toPersonId, input.toPersonEmail].filter((t) => t !== undefined);
    // §2.5 decisions: exactly one target; some content; one file; one card; not both; byte limits.
    if (targets.length !== 1) {
      throw new EmulatorHttpError(400, 'Exactly one of roomId, toPersonId or toPersonEmail is required.');
    }
    const files = input.files ?? [];
    const cards = input.attachments ?? [];
    if (!input.text && !input.markdown && files.length === 0 && cards.length === 0) {
      throw new EmulatorHttpError(400, 'A message needs text, markdown, a file or an attachment.');
    }
    this.checkBodySize(input);
    if (files.length > 1) throw new EmulatorHttpError(400, 'Only one file may be attached to a message.');
    if (cards.length > 1)
      throw new EmulatorHttpError(400, 'Only one attachment (card) may be sent per message.');
    if (files.length > 0 && cards.length > 0) {
      throw new EmulatorHttpError(400, 'A message cannot carry files and attachments together.');
    }
    for (const card of cards) {
      if (
        card?.contentType !== CARD_CONTENT_TYPE ||
        typeof card.content !== 'object' ||
        card.content === null
      ) {
        throw new EmulatorHttpError(
          400,
          `Attachments must have contentType ${CARD_CONTENT_TYPE} and a content object.`,
        );
      }
    }

    let room: Room;
    if (input.roomId !== undefined) {
      const found = this.mustRoomOf(senderId, input.roomId);
      room = found.room;
      // §4.4: announcement mode — only moderators post; status unconfirmed, 403 chosen.
      if (room.isAnnouncementOnly && !found.membership.isModerator) {
        throw new EmulatorHttpError(403, 'Only moderators can post in an announcement-only space.');
      }
    } else {
      const other =
        input.toPersonId !== undefined
          ? this.people.get(input.toPersonId)
          : this.personByEmail(input.toPersonEmail ?? '');
      if (!other) throw new EmulatorHttpError(404, 'Could not find a person with the provided ID or email.');
      // §4.5: messaging oneself is unconfirmed; 400 chosen.
      if (other.id === senderId)
        throw new EmulatorHttpError(400, 'Cannot send a direct message to yourself.');
      room = this.directRoom(senderId, other.id, true)!;
    }

    if (input.parentId !== undefined) {
      const parent = this.messages.get(input.parentId);
      if (!parent || parent.deleted || parent.roomId !== room.id || !this.canSeeMessage(senderId, parent)) {
        throw new EmulatorHttpError(400, 'Invalid parentId: no such message in this room.');
      }
      if (parent.parentId)
        throw new EmulatorHttpError(400, 'Cannot reply to a reply; use the thread parent.');
    }

    const id = this.uuid();
    const now = this.nowIso();
    const body = this.renderBody(input.text, input.markdown);
    const message: Message = {
      id,
      roomId: room.id,
      personId: sender.id,
      ...body,
      files: files.map((_, i) => `${id}/${i}`),
      attachments: cards.map((c) => structuredClone(c)),
      parentId: input.parentId,
      created: now,
      editCount: 0,
      deleted: false,
    };
    files.forEach((f, i) => {
      this.files.set(`${id}/${i}`, {
        id: `${id}/${i}`,
        name: f.name,
        contentType: f.contentType,
        bytes: f.bytes,
        scanPollsLeft: 0,
        scanResult: 'clean',
      });
    });
    this.messages.set(id, message);
    room.lastActivity = now;
    this.emit({ kind: 'message.created', actorId: sender.id, message: structuredClone(message) });
    return message;
  }

  editMessage(actorId: string, messageId: string, patch: { text?: string; markdown?: string }): Message {
    const message = this.mustMessageFor(actorId, messageId);
    // §2.5 "Edit": own messages only, ≤10 edits, none with files or cards.
    if (message.personId !== actorId) throw new EmulatorHttpError(403, 'Only the sender can edit a message.');
    if (message.files.length > 0 || message.attachments.length > 0) {
      throw new EmulatorHttpError(400, 'Editing messages with files or attachments is unsupported.');
    }
    if (!patch.text && !patch.markdown) throw new EmulatorHttpError(400, 'An edit needs text or markdown.');
    this.checkBodySize(patch);
    if (message.editCount >= MAX_EDITS)
      throw new EmulatorHttpError(400, 'Edit limit reached for this message.');
    Object.assign(message, this.renderBody(patch.text, patch.markdown));
    message.editCount += 1;
    message.updated = this.nowIso();
    this.emit({ kind: 'message.updated', actorId, message: structuredClone(message) });
    return message;
  }

  deleteMessage(actorId: string, messageId: string): void {
    const message = this.mustMessageFor(actorId, messageId);
    if (message.personId !== actorId) {
      // §2.5 "Delete": others' messages only by moderators of a moderated (locked) room.
      const room = this.rooms.get(message.roomId);
      const membership = this.membership(actorId, message.roomId);
      if (!room?.isLocked || !membership?.isModerator) {
        throw new EmulatorHttpError(403, 'Only the sender or a moderator can delete this message.');
      }
    }
    message.deleted = true;
    this.emit({ kind: 'message.deleted', actorId, message: structuredClone(message) });
  }

  private checkBodySize(input: { text?: string | undefined; markdown?: string | undefined }): void {
    for (const field of ['text', 'markdown'] as const) {
      const v = input[field];
      if (v !== undefined && byteLength(v) > MAX_MESSAGE_BYTES) {
        throw new EmulatorHttpError(400, `The ${field} is longer than ${MAX_MESSAGE_BYTES} bytes.`);
      }
    }
  }

  /** text/markdown -> the message's body fields; html only when there is markdown. */
  private renderBody(
    text: string | undefined,
    markdown: string | undefined,
  ): Pick<Message, 'text' | 'markdown' | 'html' | 'mentionedPeople' | 'mentionedGroups'> {
    if (!markdown)
      return {
        text: text ?? '',
        markdown: undefined,
        html: undefined,
        mentionedPeople: [],
        mentionedGroups: [],
      };
    const r = renderMarkdown(markdown, {
      byId: (id) => this.people.get(id),
      byEmail: (email) => this.personByEmail(email),
    });
    return {
      text: text || r.text,
      markdown,
      html: r.html,
      mentionedPeople: r.mentionedPeople,
      mentionedGroups: r.mentionedGroups,
    };
  }

  // ---- rooms and memberships (rules in rooms.ts) -------------------------------------------

  createRoom(
    actorId: string,
    input: { title: string; isLocked?: boolean; isAnnouncementOnly?: boolean; description?: string },
  ): Room {
    const actor = this.mustPerson(actorId);
    if (typeof input.title !== 'string' || input.title.trim() === '') {
      throw new EmulatorHttpError(400, 'title is required.');
    }
    // §2.3: announcement mode requires a locked room; the creator of a locked room is a moderator.
    if (input.isAnnouncementOnly && !input.isLocked) {
      throw new EmulatorHttpError(400, 'isAnnouncementOnly requires isLocked.');
    }
    const now = this.nowIso();
    const room: Room = {
      id: this.uuid(),
      title: input.title,
      type: 'group',
      isLocked: input.isLocked ?? false,
      isAnnouncementOnly: input.isAnnouncementOnly ?? false,
      ownerId: actor.orgId,
      creatorId: actor.id,
      created: now,
      lastActivity: now,
      description: input.description,
      encryptionKeyUrl: this.newKeyUrl(),
    };
    this.rooms.set(room.id, room);
    this.emit({ kind: 'room.created', actorId, room: { ...room } });
    this.insertMembership(actorId, room.id, actorId, room.isLocked);
    return room;
  }

  updateRoom(
    actorId: string,
    roomId: string,
    patch: { title?: string; isLocked?: boolean; isAnnouncementOnly?: boolean; description?: string },
  ): Room {
    const { room, membership } = this.mustRoomOf(actorId, roomId);
    if (room.isLocked && !membership.isModerator) {
      throw new EmulatorHttpError(403, 'Only moderators can update a moderated space.');
    }
    if (room.type === 'direct' && (patch.isLocked || patch.isAnnouncementOnly)) {
      throw new EmulatorHttpError(400, 'A direct space cannot be locked or made announcement-only.');
    }
    if (patch.title !== undefined && patch.title.trim() === '')
      throw new EmulatorHttpError(400, 'title must not be empty.');
    const isLocked = patch.isLocked ?? room.isLocked;
    const isAnnouncementOnly = patch.isAnnouncementOnly ?? (isLocked ? room.isAnnouncementOnly : false);
    // §2.3: isAnnouncementOnly only on a locked room.
    if (isAnnouncementOnly && !isLocked)
      throw new EmulatorHttpError(400, 'isAnnouncementOnly requires isLocked.');
    if (patch.title !== undefined) room.title = patch.title;
    // §2.3: "a single space clears" the description.
    if (patch.description !== undefined)
      room.description = patch.description === ' ' ? undefined : patch.description;
    const locking = isLocked && !room.isLocked;
    room.isLocked = isLocked;
    room.isAnnouncementOnly = isAnnouncementOnly;
    this.emit({ kind: 'room.updated', actorId, room: { ...room } });
    // Decision: whoever locks a space becomes its moderator (otherwise nobody could manage it).
    if (locking && !membership.isModerator) {
      membership.isModerator = true;
      this.emit({ kind: 'membership.updated', actorId, membership: { ...membership } });
    }
    if (!isLocked) {
      for (const m of this.membersOf(room.id)) {
        if (!m.isModerator) continue;
        m.isModerator = false;
        this.emit({ kind: 'membership.updated', actorId, membership: { ...m } });
      }
    }
    return room;
  }

  /**
   * §2.3 DELETE: a moderator of a locked space or the creator of an unlocked one deletes it (every
   * membership ends, then the room goes); anyone else just leaves. Direct spaces: the caller leaves.
   * The `Change` union has no room deletion, so audiences learn it as `membership.deleted` changes.
   */
  deleteRoom(actorId: string, roomId: string): void {
    const { room, membership } = this.mustRoomOf(actorId, roomId);
    const mayDelete =
      room.type === 'group' && (room.isLocked ? membership.isModerator : room.creatorId === actorId);
    if (!mayDelete) {
      this.deleteMembership(actorId, membership);
      return;
    }
    for (const m of this.membersOf(roomId)) this.deleteMembership(actorId, m);
    this.rooms.delete(roomId);
  }

  addMember(actorId: string, roomId: string, personId: string, isModerator = false): Membership {
    const { room, membership } = this.mustRoomOf(actorId, roomId);
    this.mustPerson(personId);
    // §4.4 (reported rules): no adding in 1-1 spaces; locked spaces need a moderator; moderators only in locked spaces.
    if (room.type === 'direct') throw new EmulatorHttpError(400, 'Cannot add members to a direct space.');
    if (room.isLocked && !membership.isModerator) {
      throw new EmulatorHttpError(403, 'Only moderators can add members to a moderated space.');
    }
    if (isModerator && !room.isLocked)
      throw new EmulatorHttpError(400, 'Only a locked space has moderators.');
    // §2.4: adding the same person twice → 409.
    if (this.membership(personId, roomId)) throw new EmulatorHttpError(409, 'Person is already in the room.');
    return this.insertMembership(actorId, roomId, personId, isModerator);
  }

  updateMember(
    actorId: string,
    roomId: string,
    personId: string,
    isModerator: boolean,
    isRoomHidden?: boolean,
  ): Membership {
    const { room, membership: own } = this.mustRoomOf(actorId, roomId);
    const target = this.membership(personId, roomId);
    if (!target) throw new EmulatorHttpError(404, 'Could not find a membership with provided ID.');
    if (isModerator !== target.isModerator) {
      if (!room.isLocked) throw new EmulatorHttpError(400, 'Only a locked space has moderators.');
      if (!own.isModerator) throw new EmulatorHttpError(403, 'Only moderators can change moderators.');
    }
    if (isRoomHidden !== undefined && isRoomHidden !== target.isRoomHidden && personId !== actorId) {
      throw new EmulatorHttpError(403, 'Only the member can hide a space for themselves.');
    }
    target.isModerator = isModerator;
    if (isRoomHidden !== undefined) target.isRoomHidden = isRoomHidden;
    this.emit({ kind: 'membership.updated', actorId, membership: { ...target } });
    return target;
  }

  removeMember(actorId: string, roomId: string, personId: string): void {
    const { room, membership: own } = this.mustRoomOf(actorId, roomId);
    const target = this.membership(personId, roomId);
    if (!target) throw new EmulatorHttpError(404, 'Could not find a membership with provided ID.');
    // §2.4: deleting one's own membership leaves; others need a moderator in a locked space; 1-1: never.
    if (personId !== actorId) {
      if (room.type === 'direct')
        throw new EmulatorHttpError(400, 'Cannot remove members from a direct space.');
      if (room.isLocked && !own.isModerator) {
        throw new EmulatorHttpError(403, 'Only moderators can remove members from a moderated space.');
      }
    }
    this.deleteMembership(actorId, target);
  }

  private insertMembership(
    actorId: string,
    roomId: string,
    personId: string,
    isModerator: boolean,
  ): Membership {
    const m: Membership = { personId, roomId, isModerator, isRoomHidden: false, created: this.nowIso() };
    this.memberships.set(`${personId}:${roomId}`, m);
    this.emit({ kind: 'membership.created', actorId, membership: { ...m } });
    return m;
  }

  private deleteMembership(actorId: string, m: Membership): void {
    this.memberships.delete(`${m.personId}:${m.roomId}`);
    this.emit({ kind: 'membership.deleted', actorId, membership: { ...m } });
  }

  // ---- cards ------------------------------------------------------------------------------

  submitCard(personId: string, messageId: string, inputs: Record<string, unknown>): AttachmentAction {
    this.mustPerson(personId);
    const message = this.messages.get(messageId);
    if (!message || message.deleted || !this.membership(personId, message.roomId)) {
      throw new EmulatorHttpError(404, 'Could not find a message with provided ID.');
    }
    if (message.attachments.length === 0) throw new EmulatorHttpError(400, 'The message carries no card.');
    if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) {
      throw new EmulatorHttpError(400, 'inputs must be an object.');
    }
    const action: AttachmentAction = {
      id: this.uuid(),
      type: 'submit',
      messageId,
      personId,
      roomId: message.roomId,
      inputs: structuredClone(inputs),
      created: this.nowIso(),
    };
    this.attachmentActions.set(action.id, action);
    this.emit({ kind: 'attachmentAction.created', actorId: personId, action: structuredClone(action) });
    return action;
  }

  // ---- webhooks (registration only; delivery is webhooks/) --------------------------------
  // Webhook registrations are not part of the `Change` union: they are configuration, not happenings.

  createWebhook(
    ownerPersonId: string,
    input: Pick<Webhook, 'name' | 'targetUrl' | 'resource' | 'event'> & { filter?: string; secret?: string },
  ): Webhook {
    const hook: Webhook = {
      id: this.uuid(),
      ownerPersonId,
      name: input.name,
      targetUrl: input.targetUrl,
      resource: input.resource,
      event: input.event,
      filter: input.filter,
      secret: input.secret,
      status: 'active',
      ownedBy: 'creator',
      created: this.nowIso(),
      failures: 0,
    };
    this.webhooks.set(hook.id, hook);
    return hook;
  }

  /** `actorId`'s webhook; 404 for anyone else's (webhooks are creator-owned, §4.3). */
  webhookOf(actorId: string, id: string): Webhook {
    const hook = this.webhooks.get(id);
    if (!hook || hook.ownerPersonId !== actorId)
      throw new EmulatorHttpError(404, 'Could not find a webhook with provided ID.');
    return hook;
  }

  updateWebhook(
    actorId: string,
    id: string,
    patch: { name?: string; targetUrl?: string; secret?: string; status?: 'active' },
  ): Webhook {
    const hook = this.webhookOf(actorId, id);
    if (patch.name !== undefined) hook.name = patch.name;
    if (patch.targetUrl !== undefined) hook.targetUrl = patch.targetUrl;
    if (patch.secret !== undefined) hook.secret = patch.secret;
    // §2.8 decision: PUT status=active re-activates and resets the failure counter.
    if (patch.status === 'active') {
      hook.status = 'active';
      hook.failures = 0;
    }
    return hook;
  }

  deleteWebhook(actorId: string, id: string): void {
    this.webhookOf(actorId, id);
    this.webhooks.delete(id);
  }

  /** Webhook delivery reports each attempt; `threshold` consecutive failures deactivate (§2.8 decision). */
  recordDelivery(id: string, ok: boolean, threshold: number): void {
    const hook = this.webhooks.get(id);
    if (!hook) return;
    if (ok) {
      hook.failures = 0;
      return;
    }
    hook.failures += 1;
    if (hook.failures >= threshold) hook.status = 'inactive';
  }
}

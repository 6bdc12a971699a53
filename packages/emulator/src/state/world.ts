/**
 * The emulator's world: every entity, in memory, and every mutation rule that does not depend on
 * the transport. REST, the control API, webhook delivery and Mercury all code against this class.
 * `World` holds the state and is the one public façade; the rules live in plain functions over
 * `WorldState`: lookups.ts, visibility.ts (who sees what), rooms.ts (rooms and memberships),
 * messages.ts (post, edit, delete, mention rendering), cards.ts, webhooks.ts (registrations).
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
import * as cardRules from './cards.js';
import * as lookups from './lookups.js';
import { MembershipIndex } from './memberships.js';
import type { MessagePatch, PostMessageInput } from './messages.js';
import * as messageRules from './messages.js';
import { createRandom, type RandomSource } from './random.js';
import type { NewRoom, RoomPatch } from './rooms.js';
import * as roomRules from './rooms.js';
import { applySeed } from './seed.js';
import type {
  AttachmentAction,
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
import * as visibility from './visibility.js';
import type { NewWebhook, WebhookPatch } from './webhooks.js';
import * as webhookRules from './webhooks.js';
import type { ChangeInput, WorldState } from './world-state.js';

export { EmulatorHttpError } from './errors.js';
export type { NewFile, PostMessageInput } from './messages.js';
export type { ChangeInput } from './world-state.js';

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

export class World implements WorldState {
  /** Emits `change` synchronously after each committed mutation, in commit order; `reset` on reset. */
  readonly events = new EventEmitter<WorldEvents>();
  readonly orgs = new Map<string, Org>();
  readonly people = new Map<string, Person>();
  readonly rooms = new Map<string, Room>();
  /** Keyed `<personId>:<roomId>`. */
  readonly memberships = new MembershipIndex();
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

  /** The clock as a wire timestamp, `YYYY-MM-DDTHH:MM:SS.mmmZ` (docs/protocol.md §7.1). */
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

  // ---- lookups (lookups.ts) ---------------------------------------------------------------

  personByToken(token: string): Person | undefined {
    return lookups.personByToken(this, token);
  }
  personByEmail(email: string): Person | undefined {
    return lookups.personByEmail(this, email);
  }
  /** A person by seed key, uuid or e-mail. */
  findPerson(ref: string): Person | undefined {
    return lookups.findPerson(this, ref);
  }
  /** A room by seed key or uuid. */
  findRoom(ref: string): Room | undefined {
    return lookups.findRoom(this, ref);
  }
  membersOf(roomId: string): Membership[] {
    return lookups.membersOf(this, roomId);
  }
  membership(personId: string, roomId: string): Membership | undefined {
    return lookups.membership(this, personId, roomId);
  }
  /** Rooms `personId` is a member of, in creation order. */
  roomsOf(personId: string): Room[] {
    return lookups.roomsOf(this, personId);
  }
  mustPerson(id: string): Person {
    return lookups.mustPerson(this, id);
  }
  /** The room, if `actorId` is a member; 404 otherwise (a non-member cannot tell it exists). */
  mustRoomOf(actorId: string, roomId: string): { room: Room; membership: Membership } {
    return lookups.mustRoomOf(this, actorId, roomId);
  }

  // ---- visibility (visibility.ts) ---------------------------------------------------------

  /** Membership plus the bot rule: a bot sees a group message only when it is mentioned or is its sender. */
  canSeeMessage(personId: string, message: Message): boolean {
    return visibility.canSeeMessage(this, personId, message);
  }
  /** People who learn of a change (webhooks and Mercury both use this). */
  audience(change: Change): Person[] {
    return visibility.audience(this, change);
  }
  /** A live message `actorId` can see; 404 otherwise (invisible = not found). */
  mustMessageFor(actorId: string, messageId: string): Message {
    return visibility.mustMessageFor(this, actorId, messageId);
  }

  // ---- messages (messages.ts) -------------------------------------------------------------

  postMessage(senderId: string, input: PostMessageInput): Message {
    return messageRules.postMessage(this, senderId, input);
  }
  editMessage(actorId: string, messageId: string, patch: MessagePatch): Message {
    return messageRules.editMessage(this, actorId, messageId, patch);
  }
  deleteMessage(actorId: string, messageId: string): void {
    messageRules.deleteMessage(this, actorId, messageId);
  }

  // ---- rooms and memberships (rooms.ts) ---------------------------------------------------

  /** The 1-1 room of two people, created (with a `room.created` + two `membership.created`) when asked. */
  directRoom(aId: string, bId: string, create: boolean): Room | undefined {
    return roomRules.directRoom(this, aId, bId, create);
  }
  newKeyUrl(): string {
    return roomRules.newKeyUrl(this);
  }
  createRoom(actorId: string, input: NewRoom): Room {
    return roomRules.createRoom(this, actorId, input);
  }
  updateRoom(actorId: string, roomId: string, patch: RoomPatch): Room {
    return roomRules.updateRoom(this, actorId, roomId, patch);
  }
  /** Deletes the room, or leaves it when `actorId` may not delete it. */
  deleteRoom(actorId: string, roomId: string): void {
    roomRules.deleteRoom(this, actorId, roomId);
  }
  addMember(actorId: string, roomId: string, personId: string, isModerator = false): Membership {
    return roomRules.addMember(this, actorId, roomId, personId, isModerator);
  }
  updateMember(
    actorId: string,
    roomId: string,
    personId: string,
    isModerator: boolean,
    isRoomHidden?: boolean,
  ): Membership {
    return roomRules.updateMember(this, actorId, roomId, personId, isModerator, isRoomHidden);
  }
  removeMember(actorId: string, roomId: string, personId: string): void {
    roomRules.removeMember(this, actorId, roomId, personId);
  }

  // ---- cards (cards.ts) -------------------------------------------------------------------

  submitCard(personId: string, messageId: string, inputs: Record<string, unknown>): AttachmentAction {
    return cardRules.submitCard(this, personId, messageId, inputs);
  }

  // ---- webhooks: registration only (webhooks.ts); delivery is src/webhooks/ ---------------

  createWebhook(ownerPersonId: string, input: NewWebhook): Webhook {
    return webhookRules.createWebhook(this, ownerPersonId, input);
  }
  /** `actorId`'s webhook; 404 for anyone else's (webhooks are creator-owned). */
  webhookOf(actorId: string, id: string): Webhook {
    return webhookRules.webhookOf(this, actorId, id);
  }
  updateWebhook(actorId: string, id: string, patch: WebhookPatch): Webhook {
    return webhookRules.updateWebhook(this, actorId, id, patch);
  }
  deleteWebhook(actorId: string, id: string): void {
    webhookRules.deleteWebhook(this, actorId, id);
  }
  /** Webhook delivery reports each attempt; `threshold` consecutive failures deactivate it. */
  recordDelivery(id: string, ok: boolean, threshold: number): void {
    webhookRules.recordDelivery(this, id, ok, threshold);
  }
}

/**
 * The control API: what tests, demos and the chat page do to the emulator that no Webex client
 * could — load a seed, act as any person, read every message of a room, read the request log, set
 * rate limits and faults, hold a file "being scanned".
 *
 * In-process it is `EmulatorControl`; over HTTP the same operations live under `/_emulator/`
 * (JSON in and out; see `handleControl` for the routes). Acting as a person goes through the same
 * world rules as REST. Person references accept a seed key, an e-mail, a uuid or a REST id; room
 * references a seed key, a uuid or a REST id; message references a uuid or a REST id.
 */
import { readFileSync } from 'node:fs';
import { decodeId } from '@herald/webex';
import type { EmulatorContext } from './context.js';
import type { RestFaultOptions } from './rest/faults.js';
import { restId } from './rest/ids.js';
import type { RestControl } from './rest/index.js';
import type { RateLimitOptions } from './rest/ratelimit.js';
import type { RequestLogEntry } from './rest/requestlog.js';
import { attachmentActionView, membershipView, messageView } from './rest/views.js';
import { CARD_CONTENT_TYPE } from './state/limits.js';
import type { Person, Room, Seed, StoredFile } from './state/types.js';
import { EmulatorHttpError, type PostMessageInput } from './state/world.js';

/** A person as the control API shows it: REST ids plus the token (control is loopback-only). */
export interface ControlPerson {
  key?: string | undefined;
  /** PEOPLE REST id. */
  id: string;
  uuid: string;
  email: string;
  displayName: string;
  type: 'person' | 'bot';
  /** ORGANIZATION REST id. */
  orgId: string;
  orgName: string | undefined;
  token: string;
}

export interface ControlRoom {
  key?: string | undefined;
  /** ROOM REST id. */
  id: string;
  uuid: string;
  title: string;
  type: 'direct' | 'group';
  isLocked: boolean;
  isAnnouncementOnly: boolean;
  /** ORGANIZATION REST id. */
  ownerId: string;
  encryptionKeyUrl: string;
  /** Members as `{ personId (REST), email, isModerator }`. */
  members: Array<{ personId: string; email: string | undefined; isModerator: boolean }>;
}

/** What a person posts through the control API. */
export interface ActPostInput {
  /** Room reference, or */
  room?: string;
  /** a person reference: posts into the 1-1 room (created when needed). */
  toPerson?: string;
  text?: string;
  markdown?: string;
  /** Thread parent (message reference). */
  parentId?: string;
  /** One file. Over HTTP `base64` replaces `bytes`. */
  file?: { name: string; contentType?: string; bytes: Buffer };
  /** One adaptive card (the card JSON itself; wrapped as an attachment). */
  card?: Record<string, unknown>;
}

export interface ControlFaults extends RestFaultOptions {
  /** GET /v1/messages/{id} answers 404 this long after creation (ms; context.ts SharedFaults). */
  messageNotFoundForMs?: number;
}

export interface EmulatorControl {
  /** Replace the world with a seed (`'demo'`: seeds/demo.json). */
  loadSeed(seed: Seed | 'demo'): void;
  /** Back to the last seed; subsystems drop their run-time state. */
  reset(): void;
  people(): ControlPerson[];
  person(ref: string): ControlPerson;
  /** A person's bearer token. */
  token(ref: string): string;
  rooms(): ControlRoom[];
  room(ref: string): ControlRoom;
  /** Act as `person`: post a message. Returns the message as REST shows it. */
  post(person: string, input: ActPostInput): Record<string, unknown>;
  edit(person: string, message: string, patch: { text?: string; markdown?: string }): Record<string, unknown>;
  deleteMessage(person: string, message: string): void;
  createRoom(
    person: string,
    input: { title: string; isLocked?: boolean; isAnnouncementOnly?: boolean; members?: string[] },
  ): ControlRoom;
  updateRoom(
    person: string,
    room: string,
    patch: { title?: string; isLocked?: boolean; isAnnouncementOnly?: boolean; description?: string },
  ): ControlRoom;
  addMember(actor: string, room: string, person: string, isModerator?: boolean): Record<string, unknown>;
  removeMember(actor: string, room: string, person: string): void;
  setModerator(actor: string, room: string, person: string, isModerator: boolean): Record<string, unknown>;
  /** A person presses Submit on a card. Returns the attachment action as REST shows it. */
  submitCard(person: string, message: string, inputs: Record<string, unknown>): Record<string, unknown>;
  /** Every message of a room, oldest first, regardless of visibility (deleted ones left out). */
  messages(room: string): Array<Record<string, unknown>>;
  /** The REST request log, oldest first; filter by method and/or a path substring. */
  requests(filter?: { method?: string; path?: string; personId?: string }): RequestLogEntry[];
  clearRequests(): void;
  /** Replace the rate limits (all off when `{}`). */
  setRateLimits(limits: RateLimitOptions): void;
  /** Replace the REST faults (all off when `{}`); `messageNotFoundForMs` is shared with webhooks. */
  setFaults(faults: ControlFaults): void;
  /**
   * Hold a file "being scanned": the next `polls` downloads answer 423, then `result` applies
   * (`clean` serves it, `infected` 410, `unscannable` 428). `file`: CONTENT REST id, a content URL,
   * or a message reference (its first file).
   */
  holdFile(file: string, polls: number, result?: StoredFile['scanResult']): void;
}

export function loadDemoSeed(): Seed {
  return JSON.parse(readFileSync(new URL('../seeds/demo.json', import.meta.url), 'utf8')) as Seed;
}

export function createControl(ctx: EmulatorContext, rest: RestControl): EmulatorControl {
  const { world } = ctx;

  const personOf = (ref: string): Person => {
    const decoded = decodeId(ref);
    const p = decoded?.type === 'PEOPLE' ? world.people.get(decoded.uuid) : world.findPerson(ref);
    if (!p) throw new EmulatorHttpError(404, `no person "${ref}"`);
    return p;
  };
  const roomOf = (ref: string): Room => {
    const decoded = decodeId(ref);
    const r = decoded?.type === 'ROOM' ? world.rooms.get(decoded.uuid) : world.findRoom(ref);
    if (!r) throw new EmulatorHttpError(404, `no room "${ref}"`);
    return r;
  };
  const messageUuid = (ref: string): string => {
    const decoded = decodeId(ref);
    return decoded?.type === 'MESSAGE' ? decoded.uuid : ref;
  };
  const keyOf = (map: Map<string, string>, uuid: string): string | undefined => {
    for (const [k, v] of map) if (v === uuid) return k;
    return undefined;
  };
  const personInfo = (p: Person): ControlPerson => ({
    key: keyOf(world.keys.people, p.id),
    id: restId('PEOPLE', p.id),
    uuid: p.id,
    email: p.emails[0] ?? '',
    displayName: p.displayName,
    type: p.type,
    orgId: restId('ORGANIZATION', p.orgId),
    orgName: world.orgs.get(p.orgId)?.displayName,
    token: p.tokens[0] ?? '',
  });
  const roomInfo = (r: Room): ControlRoom => ({
    key: keyOf(world.keys.rooms, r.id),
    id: restId('ROOM', r.id),
    uuid: r.id,
    title: r.title,
    type: r.type,
    isLocked: r.isLocked,
    isAnnouncementOnly: r.isAnnouncementOnly,
    ownerId: restId('ORGANIZATION', r.ownerId),
    encryptionKeyUrl: r.encryptionKeyUrl,
    members: world.membersOf(r.id).map((m) => ({
      personId: restId('PEOPLE', m.personId),
      email: world.people.get(m.personId)?.emails[0],
      isModerator: m.isModerator,
    })),
  });
  const view = (id: string) => messageView(world, world.messages.get(id)!, ctx.baseUrl());

  return {
    loadSeed(seed) {
      world.loadSeed(seed === 'demo' ? loadDemoSeed() : seed);
    },
    reset() {
      world.reset();
    },
    people: () => [...world.people.values()].map(personInfo),
    person: (ref) => personInfo(personOf(ref)),
    token: (ref) => personOf(ref).tokens[0] ?? '',
    rooms: () => [...world.rooms.values()].map(roomInfo),
    room: (ref) => roomInfo(roomOf(ref)),
    post(person, input) {
      const sender = personOf(person);
      const post: PostMessageInput = { text: input.text, markdown: input.markdown };
      if (input.room !== undefined) post.roomId = roomOf(input.room).id;
      if (input.toPerson !== undefined) post.toPersonId = personOf(input.toPerson).id;
      if (input.parentId !== undefined) post.parentId = messageUuid(input.parentId);
      if (input.file) {
        post.files = [
          {
            name: input.file.name,
            contentType: input.file.contentType ?? 'application/octet-stream',
            bytes: input.file.bytes,
          },
        ];
      }
      if (input.card) post.attachments = [{ contentType: CARD_CONTENT_TYPE, content: input.card }];
      return view(world.postMessage(sender.id, post).id);
    },
    edit: (person, message, patch) =>
      view(world.editMessage(personOf(person).id, messageUuid(message), patch).id),
    deleteMessage(person, message) {
      world.deleteMessage(personOf(person).id, messageUuid(message));
    },
    createRoom(person, input) {
      const actor = personOf(person);
      const room = world.createRoom(actor.id, input);
      for (const m of input.members ?? []) world.addMember(actor.id, room.id, personOf(m).id);
      return roomInfo(room);
    },
    updateRoom: (person, room, patch) =>
      roomInfo(world.updateRoom(personOf(person).id, roomOf(room).id, patch)),
    addMember: (actor, room, person, isModerator) =>
      membershipView(
        world,
        world.addMember(personOf(actor).id, roomOf(room).id, personOf(person).id, isModerator),
      ),
    removeMember(actor, room, person) {
      world.removeMember(personOf(actor).id, roomOf(room).id, personOf(person).id);
    },
    setModerator: (actor, room, person, isModerator) =>
      membershipView(
        world,
        world.updateMember(personOf(actor).id, roomOf(room).id, personOf(person).id, isModerator),
      ),
    submitCard: (person, message, inputs) => ({
      ...attachmentActionView(world.submitCard(personOf(person).id, messageUuid(message), inputs)),
    }),
    messages(room) {
      const id = roomOf(room).id;
      return [...world.messages.values()].filter((m) => m.roomId === id && !m.deleted).map((m) => view(m.id));
    },
    requests(filter = {}) {
      return rest.log
        .list()
        .filter(
          (e) =>
            (filter.method === undefined || e.method === filter.method.toUpperCase()) &&
            (filter.path === undefined || e.path.includes(filter.path)) &&
            (filter.personId === undefined || e.personId === personOf(filter.personId).id),
        );
    },
    clearRequests: () => rest.log.clear(),
    setRateLimits: (limits) => rest.limiter.configure(limits),
    setFaults(faults) {
      const { messageNotFoundForMs, ...restFaults } = faults;
      if (messageNotFoundForMs !== undefined) ctx.faults.messageNotFoundForMs = messageNotFoundForMs;
      rest.faults.configure(restFaults);
    },
    holdFile(file, polls, result = 'clean') {
      const ref = file.includes('/contents/') ? (file.split('/contents/')[1]?.split('?')[0] ?? '') : file;
      const decoded = decodeId(ref);
      let fileId: string | undefined;
      if (decoded?.type === 'CONTENT') fileId = decoded.uuid;
      else fileId = world.messages.get(messageUuid(ref))?.files[0];
      const stored = fileId === undefined ? undefined : world.files.get(fileId);
      if (!stored) throw new EmulatorHttpError(404, `no file "${file}"`);
      stored.scanPollsLeft = Math.max(0, Math.floor(polls));
      stored.scanResult = result;
    },
  };
}

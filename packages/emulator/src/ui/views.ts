/**
 * What the chat page sees, shaped for one viewer: people without tokens, the viewer's spaces (a
 * 1-1 titled by the other party, as REST shows it, docs/protocol.md §7.3), and messages with file links that go
 * through the page's own download route instead of `/v1/contents` (which would need a token).
 */
import { restId } from '../rest/ids.js';
import type { Message, Person, Room } from '../state/types.js';
import type { World } from '../state/world.js';

/** A person as the page shows it. Never carries a token. */
export interface UiPerson {
  /** PEOPLE REST id. */
  id: string;
  /** Seed key, when the person was seeded with one. */
  key?: string | undefined;
  displayName: string;
  email: string;
  type: 'person' | 'bot';
  orgName: string;
}

export interface UiMember extends UiPerson {
  isModerator: boolean;
}

export interface UiSpace {
  /** ROOM REST id. */
  id: string;
  key?: string | undefined;
  title: string;
  type: 'direct' | 'group';
  isLocked: boolean;
  isAnnouncementOnly: boolean;
  lastActivity: string;
  orgName: string;
  /** Whether the viewer moderates this space. */
  isModerator: boolean;
  /** The other party of a 1-1. */
  peer?: { id: string; type: 'person' | 'bot' } | undefined;
  /** The newest message, shortened, for the list. */
  preview?: { personName: string; text: string } | undefined;
}

export interface UiFile {
  name: string;
  contentType: string;
  size: number;
  /** Same-origin download route for this viewer. */
  url: string;
}

export interface UiMessage {
  /** MESSAGE REST id. */
  id: string;
  roomId: string;
  personId: string;
  personName: string;
  personType: 'person' | 'bot';
  text: string;
  markdown?: string | undefined;
  parentId?: string | undefined;
  created: string;
  updated?: string | undefined;
  files: UiFile[];
  /** The adaptive card's content, when the message carries one. */
  card?: Record<string, unknown> | undefined;
}

const PREVIEW_CHARS = 80;

function keyOf(map: Map<string, string>, uuid: string): string | undefined {
  for (const [k, v] of map) if (v === uuid) return k;
  return undefined;
}

export function uiPerson(world: World, p: Person): UiPerson {
  return {
    id: restId('PEOPLE', p.id),
    key: keyOf(world.keys.people, p.id),
    displayName: p.displayName,
    email: p.emails[0] ?? '',
    type: p.type,
    orgName: world.orgs.get(p.orgId)?.displayName ?? '',
  };
}

function peerOf(world: World, room: Room, viewerId: string): Person | undefined {
  const other = world.membersOf(room.id).find((m) => m.personId !== viewerId);
  return other && world.people.get(other.personId);
}

/** §7.3: a 1-1 space is titled, for each viewer, by the other party's name. */
export function spaceTitle(world: World, room: Room, viewerId: string): string {
  if (room.type !== 'direct') return room.title;
  return peerOf(world, room, viewerId)?.displayName ?? room.title;
}

/** One line of plain text for the space list: mentions as names, markdown marks dropped. */
export function previewText(world: World, m: Message): string {
  let text = m.text;
  if (m.attachments.length > 0 && !text) text = 'Card';
  else if (m.files.length > 0 && !text) text = world.files.get(m.files[0] ?? '')?.name ?? 'File';
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
}

/** The viewer's spaces, most recently active first, with each one's newest message. */
export function uiSpaces(world: World, viewerId: string): UiSpace[] {
  const rooms = world.roomsOf(viewerId);
  const ids = new Set(rooms.map((r) => r.id));
  const newest = new Map<string, Message>();
  for (const m of world.messages.values()) {
    if (!m.deleted && ids.has(m.roomId)) newest.set(m.roomId, m);
  }
  return rooms
    .map((room): UiSpace => {
      const last = newest.get(room.id);
      const peer = room.type === 'direct' ? peerOf(world, room, viewerId) : undefined;
      return {
        id: restId('ROOM', room.id),
        key: keyOf(world.keys.rooms, room.id),
        title: spaceTitle(world, room, viewerId),
        type: room.type,
        isLocked: room.isLocked,
        isAnnouncementOnly: room.isAnnouncementOnly,
        lastActivity: room.lastActivity,
        orgName: world.orgs.get(room.ownerId)?.displayName ?? '',
        isModerator: world.membership(viewerId, room.id)?.isModerator ?? false,
        peer: peer && { id: restId('PEOPLE', peer.id), type: peer.type },
        preview: last && {
          personName: world.people.get(last.personId)?.displayName ?? '',
          text: previewText(world, last),
        },
      };
    })
    .sort((a, b) => b.lastActivity.localeCompare(a.lastActivity) || a.title.localeCompare(b.title));
}

export function uiMembers(world: World, roomId: string): UiMember[] {
  return world
    .membersOf(roomId)
    .flatMap((m) => {
      const p = world.people.get(m.personId);
      return p ? [{ ...uiPerson(world, p), isModerator: m.isModerator }] : [];
    })
    .sort((a, b) => a.displayName.localeCompare(b.displayName));
}

/** `viewerRef` is put into file URLs so the download route can check the viewer again. */
export function uiMessage(world: World, m: Message, viewerRef: string): UiMessage {
  const sender = world.people.get(m.personId);
  return {
    id: restId('MESSAGE', m.id),
    roomId: restId('ROOM', m.roomId),
    personId: restId('PEOPLE', m.personId),
    personName: sender?.displayName ?? 'Someone',
    personType: sender?.type ?? 'person',
    text: m.text,
    markdown: m.markdown,
    parentId: m.parentId && restId('MESSAGE', m.parentId),
    created: m.created,
    updated: m.updated,
    files: m.files.flatMap((fileId) => {
      const f = world.files.get(fileId);
      if (!f) return [];
      const id = encodeURIComponent(restId('CONTENT', fileId));
      const person = encodeURIComponent(viewerRef);
      return [
        {
          name: f.name,
          contentType: f.contentType,
          size: f.bytes.length,
          url: `/_emulator/ui/files/${id}?person=${person}`,
        },
      ];
    }),
    card: m.attachments[0] && structuredClone(m.attachments[0].content),
  };
}

/**
 * World entities -> REST JSON objects (field lists: docs/protocol.md §7.2, §7.7). Ids become
 * REST ids; empty optional arrays are left out, as Webex does for `files`, `mentionedPeople`,
 * `mentionedGroups` and `attachments` on messages without them.
 */

import type { AttachmentAction, Membership, Message, Org, Person, Room, Webhook } from '../state/types.js';
import type { World } from '../state/world.js';
import { restId } from './ids.js';

export function personView(p: Person): Record<string, unknown> {
  return {
    id: restId('PEOPLE', p.id),
    emails: [...p.emails],
    phoneNumbers: [],
    displayName: p.displayName,
    ...(p.nickName ? { nickName: p.nickName } : {}),
    ...(p.firstName ? { firstName: p.firstName } : {}),
    ...(p.lastName ? { lastName: p.lastName } : {}),
    ...(p.avatar ? { avatar: p.avatar } : {}),
    orgId: restId('ORGANIZATION', p.orgId),
    created: p.created,
    type: p.type,
  };
}

export function orgView(o: Org): Record<string, unknown> {
  return { id: restId('ORGANIZATION', o.id), displayName: o.displayName, created: o.created };
}

/** §7.3: a direct room's `title` is, for each viewer, the other party's display name. */
export function roomView(world: World, r: Room, viewerId: string): Record<string, unknown> {
  let title = r.title;
  if (r.type === 'direct') {
    const other = world.membersOf(r.id).find((m) => m.personId !== viewerId);
    title = (other && world.people.get(other.personId)?.displayName) ?? r.title;
  }
  return {
    id: restId('ROOM', r.id),
    title,
    type: r.type,
    isLocked: r.isLocked,
    ...(r.teamId ? { teamId: restId('TEAM', r.teamId) } : {}),
    lastActivity: r.lastActivity,
    creatorId: restId('PEOPLE', r.creatorId),
    created: r.created,
    ownerId: restId('ORGANIZATION', r.ownerId),
    isAnnouncementOnly: r.isAnnouncementOnly,
    ...(r.description ? { description: r.description } : {}),
    ...(r.isPublic !== undefined ? { isPublic: r.isPublic } : {}),
  };
}

export function membershipView(world: World, m: Membership): Record<string, unknown> {
  const p = world.people.get(m.personId);
  const room = world.rooms.get(m.roomId);
  return {
    id: restId('MEMBERSHIP', `${m.personId}:${m.roomId}`),
    roomId: restId('ROOM', m.roomId),
    personId: restId('PEOPLE', m.personId),
    personEmail: p?.emails[0],
    personDisplayName: p?.displayName,
    personOrgId: p ? restId('ORGANIZATION', p.orgId) : undefined,
    isModerator: m.isModerator,
    isMonitor: false,
    isRoomHidden: m.isRoomHidden,
    roomType: room?.type,
    created: m.created,
  };
}

/** `baseUrl` is the emulator's origin; file URLs are `<origin>/v1/contents/<CONTENT id>` (§7.6). */
export function messageView(world: World, m: Message, baseUrl: string): Record<string, unknown> {
  const sender = world.people.get(m.personId);
  return {
    id: restId('MESSAGE', m.id),
    ...(m.parentId ? { parentId: restId('MESSAGE', m.parentId) } : {}),
    roomId: restId('ROOM', m.roomId),
    roomType: world.rooms.get(m.roomId)?.type ?? 'group',
    text: m.text,
    ...(m.markdown !== undefined ? { markdown: m.markdown } : {}),
    ...(m.html !== undefined ? { html: m.html } : {}),
    ...(m.files.length > 0
      ? { files: m.files.map((f) => `${baseUrl}/v1/contents/${restId('CONTENT', f)}`) }
      : {}),
    personId: restId('PEOPLE', m.personId),
    personEmail: sender?.emails[0],
    ...(m.mentionedPeople.length > 0
      ? { mentionedPeople: m.mentionedPeople.map((p) => restId('PEOPLE', p)) }
      : {}),
    ...(m.mentionedGroups.length > 0 ? { mentionedGroups: [...m.mentionedGroups] } : {}),
    ...(m.attachments.length > 0 ? { attachments: structuredClone(m.attachments) } : {}),
    created: m.created,
    ...(m.updated ? { updated: m.updated } : {}),
  };
}

/** The action with REST ids in place of uuids (`GET /attachment/actions/{id}`, §7.5). */
export function attachmentActionView(a: AttachmentAction): AttachmentAction {
  return {
    id: restId('ATTACHMENT_ACTION', a.id),
    type: a.type,
    messageId: restId('MESSAGE', a.messageId),
    inputs: structuredClone(a.inputs),
    personId: restId('PEOPLE', a.personId),
    roomId: restId('ROOM', a.roomId),
    created: a.created,
  };
}

/** The emulator's single application id (webhook `appId`, §7.7). */
export const EMULATOR_APP_UUID = '00000000-0000-4000-8000-00000000e4a1';

export function webhookView(world: World, h: Webhook): Record<string, unknown> {
  const owner = world.people.get(h.ownerPersonId);
  return {
    id: restId('WEBHOOK', h.id),
    name: h.name,
    targetUrl: h.targetUrl,
    resource: h.resource,
    event: h.event,
    ...(h.filter ? { filter: h.filter } : {}),
    ...(h.secret ? { secret: h.secret } : {}),
    orgId: owner ? restId('ORGANIZATION', owner.orgId) : undefined,
    createdBy: restId('PEOPLE', h.ownerPersonId),
    appId: restId('APPLICATION', EMULATOR_APP_UUID),
    ownedBy: h.ownedBy,
    status: h.status,
    created: h.created,
  };
}

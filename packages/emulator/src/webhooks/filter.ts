/**
 * Webhook `filter` strings and which webhooks a world change reaches (docs/protocol.md §7.7
 * filter table). Filters are `key=value` pairs joined with `&`; values may be percent-encoded (an
 * e-mail with `+` is kept as is: `+` is not read as a space).
 */
import { decodeId } from '@herald/webex';
import type { Change, Person, Webhook } from '../state/types.js';
import type { World } from '../state/world.js';

export type MessagingResource = 'messages' | 'memberships' | 'rooms' | 'attachmentActions';

/** Filter keys each resource accepts (§7.7; the last two of `messages` are *reported* only). */
export const FILTER_KEYS: Readonly<Record<MessagingResource | 'all', readonly string[]>> = {
  messages: [
    'roomId',
    'roomType',
    'personId',
    'personEmail',
    'mentionedPeople',
    'hasFiles',
    'mentionedGroups',
    'hasAttachments',
  ],
  memberships: ['roomId', 'personId', 'personEmail', 'isModerator'],
  rooms: ['type', 'isLocked'],
  attachmentActions: ['messageId', 'personId', 'roomId'],
  // Emulator decision: the firehose takes `roomId` only (applied as `data.id` for rooms events);
  // which filters Webex allows on `all` is unconfirmed.
  all: ['roomId'],
};

/** Parse `a=1&b=2`. Returns undefined when a pair has no `=` or an empty key or value. */
export function parseFilter(filter: string): Array<[string, string]> | undefined {
  const pairs: Array<[string, string]> = [];
  for (const part of filter.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1) return undefined;
    pairs.push([part.slice(0, eq), decode(part.slice(eq + 1))]);
  }
  return pairs;
}

function decode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/** The resource and event of a change, as Webex names them (§7.7 table). */
export function resourceEventOf(change: Change): { resource: MessagingResource; event: string } {
  const [kind, event] = change.kind.split('.') as [string, string];
  const resource: MessagingResource =
    kind === 'message'
      ? 'messages'
      : kind === 'membership'
        ? 'memberships'
        : kind === 'room'
          ? 'rooms'
          : 'attachmentActions';
  return { resource, event };
}

/**
 * Does `webhook` subscribe to this resource/event? `all` covers every messaging resource except
 * `attachmentActions` (§7.7: NBF needs a second webhook for card submissions; *reported*).
 */
export function subscribes(webhook: Webhook, resource: MessagingResource, event: string): boolean {
  const resourceOk =
    webhook.resource === resource || (webhook.resource === 'all' && resource !== 'attachmentActions');
  return resourceOk && (webhook.event === event || webhook.event === 'all');
}

/** Does the change pass every pair of the webhook's filter? (Unknown keys never match.) */
export function passesFilter(world: World, webhook: Webhook, change: Change): boolean {
  if (!webhook.filter) return true;
  const pairs = parseFilter(webhook.filter);
  if (!pairs) return false;
  return pairs.every(([key, value]) => pairMatches(world, webhook.ownerPersonId, change, key, value));
}

function pairMatches(world: World, ownerId: string, change: Change, key: string, value: string): boolean {
  switch (change.kind) {
    case 'message.created':
    case 'message.updated':
    case 'message.deleted': {
      const m = change.message;
      const room = world.rooms.get(m.roomId);
      switch (key) {
        case 'roomId':
          return sameUuid(value, m.roomId);
        case 'roomType':
          return room?.type === value;
        case 'personId':
          return sameUuid(value, m.personId);
        case 'personEmail':
          return hasEmail(world.people.get(m.personId), value);
        case 'mentionedPeople':
          return value
            .split(',')
            .some((v) =>
              v === 'me' ? m.mentionedPeople.includes(ownerId) : m.mentionedPeople.includes(uuidOf(v)),
            );
        case 'hasFiles':
          return String(m.files.length > 0) === value;
        case 'mentionedGroups':
          return m.mentionedGroups.includes(value);
        case 'hasAttachments':
          return String(m.attachments.length > 0) === value;
        default:
          return false;
      }
    }
    case 'membership.created':
    case 'membership.updated':
    case 'membership.deleted': {
      const ms = change.membership;
      switch (key) {
        case 'roomId':
          return sameUuid(value, ms.roomId);
        case 'personId':
          return sameUuid(value, ms.personId);
        case 'personEmail':
          return hasEmail(world.people.get(ms.personId), value);
        case 'isModerator':
          return String(ms.isModerator) === value;
        default:
          return false;
      }
    }
    case 'room.created':
    case 'room.updated': {
      const r = change.room;
      switch (key) {
        case 'roomId':
          return sameUuid(value, r.id);
        case 'type':
          return r.type === value;
        case 'isLocked':
          return String(r.isLocked) === value;
        default:
          return false;
      }
    }
    case 'attachmentAction.created': {
      const a = change.action;
      switch (key) {
        case 'messageId':
          return sameUuid(value, a.messageId);
        case 'personId':
          return sameUuid(value, a.personId);
        case 'roomId':
          return sameUuid(value, a.roomId);
        default:
          return false;
      }
    }
  }
}

/** A REST id's uuid part, or the value itself (a filter may carry a raw uuid). */
export function uuidOf(value: string): string {
  return decodeId(value)?.uuid ?? value;
}

function sameUuid(filterValue: string, uuid: string): boolean {
  return uuidOf(filterValue) === uuid;
}

function hasEmail(person: Person | undefined, email: string): boolean {
  const wanted = email.toLowerCase();
  return !!person && person.emails.some((e) => e.toLowerCase() === wanted);
}

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
  const tests = filterTests(world, webhook.ownerPersonId, change);
  return pairs.every(([key, value]) => Object.hasOwn(tests, key) && tests[key]?.(value) === true);
}

/** Per filter key of the change's resource (§7.7 table): does a filter value match the change? */
function filterTests(
  world: World,
  ownerId: string,
  change: Change,
): Record<string, (value: string) => boolean> {
  switch (change.kind) {
    case 'message.created':
    case 'message.updated':
    case 'message.deleted': {
      const m = change.message;
      return {
        roomId: sameId(m.roomId),
        roomType: (value) => world.rooms.get(m.roomId)?.type === value,
        personId: sameId(m.personId),
        personEmail: (value) => hasEmail(world.people.get(m.personId), value),
        mentionedPeople: (value) =>
          value.split(',').some((v) => m.mentionedPeople.includes(v === 'me' ? ownerId : uuidOf(v))),
        hasFiles: sameFlag(m.files.length > 0),
        mentionedGroups: (value) => m.mentionedGroups.includes(value),
        hasAttachments: sameFlag(m.attachments.length > 0),
      };
    }
    case 'membership.created':
    case 'membership.updated':
    case 'membership.deleted':
      return {
        roomId: sameId(change.membership.roomId),
        personId: sameId(change.membership.personId),
        personEmail: (value) => hasEmail(world.people.get(change.membership.personId), value),
        isModerator: sameFlag(change.membership.isModerator),
      };
    case 'room.created':
    case 'room.updated':
      return {
        roomId: sameId(change.room.id),
        type: (value) => change.room.type === value,
        isLocked: sameFlag(change.room.isLocked),
      };
    case 'attachmentAction.created':
      return {
        messageId: sameId(change.action.messageId),
        personId: sameId(change.action.personId),
        roomId: sameId(change.action.roomId),
      };
  }
}

/** A filter value that names `uuid`: its REST id, or the uuid itself. */
function sameId(uuid: string): (value: string) => boolean {
  return (value) => uuidOf(value) === uuid;
}

/** A filter value `true` or `false` that matches `flag`. */
function sameFlag(flag: boolean): (value: string) => boolean {
  return (value) => String(flag) === value;
}

/** A REST id's uuid part, or the value itself (a filter may carry a raw uuid). */
export function uuidOf(value: string): string {
  return decodeId(value)?.uuid ?? value;
}

function hasEmail(person: Person | undefined, email: string): boolean {
  const wanted = email.toLowerCase();
  return !!person && person.emails.some((e) => e.toLowerCase() === wanted);
}

/**
 * Webex's rules for webhook registrations (docs/protocol.md §7.7), shared with the REST
 * subsystem: `POST /webhooks` and `PUT /webhooks/{id}` call these and store what they return.
 * Errors are `EmulatorHttpError(400, …)` with a message naming the field.
 */
import { decodeId } from '@herald/webex';
import type { Webhook } from '../state/types.js';
import { EmulatorHttpError } from '../state/world.js';
import { FILTER_KEYS, type MessagingResource, parseFilter } from './filter.js';

/** Events each resource accepts (§7.7 table; `messages:updated` is *reported*), plus `all`. */
export const RESOURCE_EVENTS: Readonly<Record<MessagingResource | 'all', readonly string[]>> = {
  messages: ['created', 'updated', 'deleted', 'all'],
  memberships: ['created', 'updated', 'deleted', 'all'],
  rooms: ['created', 'updated', 'all'],
  attachmentActions: ['created', 'all'],
  all: ['created', 'updated', 'deleted', 'all'],
};

export interface WebhookCreateInput
  extends Pick<Webhook, 'name' | 'targetUrl' | 'resource' | 'event' | 'filter' | 'secret'> {
  ownedBy: 'creator';
}

export interface WebhookUpdateInput {
  name: string;
  targetUrl: string;
  /** Present only when the body had one (a PUT without `secret` keeps the old one — unconfirmed). */
  secret?: string | undefined;
  /** `active` re-activates and resets the failure count (§7.7 Emulator decision). */
  status?: 'active' | undefined;
}

/** Check a `POST /webhooks` body. */
export function validateWebhookCreate(body: unknown): WebhookCreateInput {
  const b = record(body);
  const target = nameAndTarget(b);
  const resource = requiredString(b, 'resource');
  const event = requiredString(b, 'event');
  if (!(resource in RESOURCE_EVENTS)) {
    throw bad(
      `resource: "${resource}" is not supported; use one of ${Object.keys(RESOURCE_EVENTS).join(', ')}`,
    );
  }
  const events = RESOURCE_EVENTS[resource as keyof typeof RESOURCE_EVENTS];
  if (!events.includes(event))
    throw bad(`event: "${event}" is not valid for ${resource}; use one of ${events.join(', ')}`);
  const filter = optionalString(b, 'filter');
  if (filter !== undefined && filter !== '') checkFilter(resource as keyof typeof FILTER_KEYS, filter);
  const secret = optionalString(b, 'secret');
  const ownedBy = optionalString(b, 'ownedBy');
  if (ownedBy !== undefined && ownedBy !== 'creator') {
    // Org-level webhooks are for admins and compliance officers (§7.8); the emulator has neither.
    throw bad('ownedBy: only "creator" webhooks are supported (org-level webhooks need an admin)');
  }
  return {
    ...target,
    resource,
    event,
    filter: filter === '' ? undefined : filter,
    secret: secret === '' ? undefined : secret,
    ownedBy: 'creator',
  };
}

/** Check a `PUT /webhooks/{id}` body; resource, event and filter in it are ignored (§7.7). */
export function validateWebhookUpdate(body: unknown): WebhookUpdateInput {
  const b = record(body);
  const out: WebhookUpdateInput = nameAndTarget(b);
  const secret = optionalString(b, 'secret');
  const status = optionalString(b, 'status');
  if (status !== undefined && status !== 'active') {
    throw bad('status: only "active" may be set; a webhook cannot be deactivated through PUT');
  }
  if (secret !== undefined) out.secret = secret === '' ? undefined : secret;
  if (status === 'active') out.status = 'active';
  return out;
}

/** Apply a checked update to a stored webhook (re-activation resets the failure count). */
export function applyWebhookUpdate(webhook: Webhook, input: WebhookUpdateInput): void {
  webhook.name = input.name;
  webhook.targetUrl = input.targetUrl;
  if ('secret' in input) webhook.secret = input.secret;
  if (input.status === 'active') {
    webhook.status = 'active';
    webhook.failures = 0;
  }
}

/** What `POST` and `PUT` both require (§7.7): a `name`, and a `targetUrl` that is an http(s) URL. */
function nameAndTarget(b: Record<string, unknown>): Pick<Webhook, 'name' | 'targetUrl'> {
  return { name: requiredString(b, 'name'), targetUrl: checkTargetUrl(requiredString(b, 'targetUrl')) };
}

function checkFilter(resource: keyof typeof FILTER_KEYS, filter: string): void {
  const pairs = parseFilter(filter);
  if (!pairs) throw bad(`filter: "${filter}" is not key=value pairs joined with &`);
  const allowed = FILTER_KEYS[resource];
  for (const [key, value] of pairs) {
    if (!allowed.includes(key)) {
      throw bad(`filter: ${key} is not a filter of ${resource}; use ${allowed.join(', ')}`);
    }
    if (!validValue(key, value)) throw bad(`invalid value for filter: ${key}`);
  }
}

const ID_TYPES: Record<string, string> = { roomId: 'ROOM', personId: 'PEOPLE', messageId: 'MESSAGE' };

function validValue(key: string, value: string): boolean {
  const idType = ID_TYPES[key];
  if (idType) return decodeId(value)?.type === idType;
  switch (key) {
    case 'roomType':
    case 'type':
      return value === 'direct' || value === 'group';
    case 'hasFiles':
    case 'hasAttachments':
    case 'isLocked':
    case 'isModerator':
      return value === 'true' || value === 'false';
    case 'mentionedPeople':
      return value.split(',').every((v) => v === 'me' || decodeId(v)?.type === 'PEOPLE');
    case 'personEmail':
      return /^[^@\s]+@[^@\s]+$/.test(value);
    case 'mentionedGroups':
      return value === 'all';
    default:
      return false;
  }
}

function checkTargetUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad('targetUrl: not an absolute URL');
  }
  // http is accepted for loopback tests (§7.7 Emulator decision).
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('targetUrl: must be http or https');
  return value;
}

function record(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw bad('body: must be a JSON object');
  return body as Record<string, unknown>;
}

function requiredString(b: Record<string, unknown>, key: string): string {
  const v = b[key];
  if (typeof v !== 'string' || v.trim() === '') throw bad(`${key}: required, a non-empty string`);
  return v;
}

function optionalString(b: Record<string, unknown>, key: string): string | undefined {
  const v = b[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`${key}: must be a string`);
  return v;
}

function bad(message: string): EmulatorHttpError {
  return new EmulatorHttpError(400, message);
}

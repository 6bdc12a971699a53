/**
 * Envelope -> typed event. Webex leaves message text and card inputs out of webhook bodies
 * (docs/protocol.md §8.3, §7.5), so messages and attachment actions are fetched over REST;
 * memberships and rooms are built from `data`. The result has the same shape the Mercury receiver
 * emits (events.ts), with `transport: 'webhook'`.
 */
import { WebexApiError } from '../errors.js';
import {
  type AttachmentActionData,
  type MembershipData,
  type MessageDeletedData,
  messageDataFromRest,
  type RoomData,
  type RoomType,
  type WebexEvent,
} from '../events.js';
import type { AttachmentAction, Message, Person } from '../rest/types.js';

/** A parsed webhook body (§8.2). Only `resource`, `event` and `data.id` are relied upon. */
export interface WebhookEnvelope {
  id?: string;
  name?: string;
  targetUrl?: string;
  resource: string;
  event: string;
  filter?: string;
  orgId?: string;
  createdBy?: string;
  appId?: string;
  ownedBy?: string;
  status?: string;
  created?: string;
  actorId?: string;
  data: Record<string, unknown> & { id: string };
}

/**
 * What the webhook receiver needs from a REST client. `WebexClient` fits; any object with these
 * three methods does (tests, a caching wrapper).
 */
export interface WebhookHydrationClient {
  messages: { get(messageId: string): Promise<Message> };
  attachmentActions: { get(actionId: string): Promise<AttachmentAction> };
  /**
   * `GET /people/me`, for `ignoreSelfMessages`: called on the first message delivery, then cached.
   * Never called with `ignoreSelfMessages: false`.
   */
  people: { me(): Promise<Pick<Person, 'id'>> };
}

export interface HydrateOptions {
  client: WebhookHydrationClient;
  /**
   * Waits (ms) between GETs that answered 404 right after creation: a `messages:created` webhook can
   * arrive before the message is readable (§8.5). Default `[250, 500, 1000, 2000]` (at most 5 GETs).
   */
  notFoundRetryDelaysMs: readonly number[];
  sleep: (ms: number) => Promise<void>;
  now: () => Date;
}

/** Returns `undefined` for resource/event pairs that have no typed event (e.g. meetings). */
export async function hydrateEnvelope(
  envelope: WebhookEnvelope,
  options: HydrateOptions,
): Promise<WebexEvent | undefined> {
  const { resource, event, data } = envelope;
  if (resource === 'messages' && (event === 'created' || event === 'updated')) {
    const message = await withNotFoundRetry(() => options.client.messages.get(data.id), options);
    const type = event === 'created' ? 'message.created' : 'message.updated';
    return typedEvent(envelope, options, type, messageDataFromRest(message));
  }
  if (resource === 'attachmentActions' && event === 'created') {
    const action = await withNotFoundRetry(() => options.client.attachmentActions.get(data.id), options);
    return typedEvent(envelope, options, 'attachmentAction.created', attachmentActionData(action));
  }
  return eventFromData(envelope, options);
}

/** The typed event of each webhook `event` of the resources built from `data` alone. */
const MEMBERSHIP_EVENTS = {
  created: 'membership.created',
  updated: 'membership.updated',
  deleted: 'membership.deleted',
} as const;
const ROOM_EVENTS = { created: 'room.created', updated: 'room.updated' } as const;

/** `types[event]` when `types` names that event (an own key: `toString` is no event). */
function eventType<T extends string>(types: Readonly<Record<string, T>>, event: string): T | undefined {
  return Object.hasOwn(types, event) ? types[event] : undefined;
}

/**
 * The event for deliveries whose `data` is the whole story (memberships, rooms, message deletes),
 * without a REST call; `undefined` for those that need one or have no typed event.
 */
export function eventFromData(
  envelope: WebhookEnvelope,
  options: Pick<HydrateOptions, 'now'>,
): WebexEvent | undefined {
  // Per resource, then per event: no `resource:event` string is built for every delivery (hot path).
  const { resource, event, data } = envelope;
  switch (resource) {
    case 'memberships': {
      const type = eventType(MEMBERSHIP_EVENTS, event);
      return type ? typedEvent(envelope, options, type, membershipData(data)) : undefined;
    }
    case 'rooms': {
      const type = eventType(ROOM_EVENTS, event);
      return type ? typedEvent(envelope, options, type, roomData(data)) : undefined;
    }
    case 'messages':
      return event === 'deleted'
        ? typedEvent(envelope, options, 'message.deleted', messageDeletedData(data))
        : undefined;
    default:
      return undefined;
  }
}

/** Does this delivery need a REST call to become an event (§8.3: text and inputs are left out)? */
export function needsFetch(envelope: WebhookEnvelope): boolean {
  const { resource, event } = envelope;
  return (
    (resource === 'messages' && (event === 'created' || event === 'updated')) ||
    (resource === 'attachmentActions' && event === 'created')
  );
}

/** One object literal, same shape for every event (no spread of a base object per delivery). */
function typedEvent<T extends WebexEvent['type']>(
  envelope: WebhookEnvelope,
  options: Pick<HydrateOptions, 'now'>,
  type: T,
  data: Extract<WebexEvent, { type: T }>['data'],
): Extract<WebexEvent, { type: T }> {
  return {
    transport: 'webhook',
    receivedAt: options.now().toISOString(),
    actorId: str(envelope.actorId),
    type,
    data,
  } as Extract<WebexEvent, { type: T }>;
}

async function withNotFoundRetry<T>(get: () => Promise<T>, options: HydrateOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await get();
    } catch (err) {
      const delay = options.notFoundRetryDelaysMs[attempt];
      if (!(err instanceof WebexApiError && err.status === 404) || delay === undefined) throw err;
      await options.sleep(delay);
    }
  }
}

function attachmentActionData(a: AttachmentAction): AttachmentActionData {
  return {
    id: a.id,
    type: 'submit',
    messageId: a.messageId,
    personId: a.personId,
    roomId: a.roomId,
    inputs: a.inputs ?? {},
    created: a.created,
  };
}

function messageDeletedData(d: Record<string, unknown>): MessageDeletedData {
  return {
    id: String(d.id),
    roomId: str(d.roomId) ?? '',
    roomType: roomType(d.roomType) ?? 'group',
    personId: str(d.personId) ?? '',
    personEmail: str(d.personEmail),
  };
}

function membershipData(d: Record<string, unknown>): MembershipData {
  return {
    id: String(d.id),
    roomId: str(d.roomId) ?? '',
    personId: str(d.personId) ?? '',
    personEmail: str(d.personEmail),
    personDisplayName: str(d.personDisplayName),
    personOrgId: str(d.personOrgId),
    isModerator: d.isModerator === true,
    roomType: roomType(d.roomType),
    created: str(d.created),
  };
}

function roomData(d: Record<string, unknown>): RoomData {
  return {
    id: String(d.id),
    type: roomType(d.type) ?? 'group',
    title: str(d.title),
    isLocked: d.isLocked === true,
    isAnnouncementOnly: typeof d.isAnnouncementOnly === 'boolean' ? d.isAnnouncementOnly : undefined,
    creatorId: str(d.creatorId),
    ownerId: str(d.ownerId),
    lastActivity: str(d.lastActivity),
    created: str(d.created),
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function roomType(v: unknown): RoomType | undefined {
  return v === 'direct' || v === 'group' ? v : undefined;
}

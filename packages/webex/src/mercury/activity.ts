/**
 * Decrypted activity → the typed events of `events.ts` (docs/protocol.md §5.2 verb table).
 * Pure. All ids become REST ids (§6.2): message = `activity.id` (deleted: `object.id`), room =
 * `target.id` (room create: `object.id`), person = `actor.entryUUID || actor.id`, attachment action =
 * `activity.id` with `messageId` = `parent.id`; files = `<restBase>/contents/<CONTENT id>` (§5.6).
 */
import type {
  AttachmentActionData,
  CardAttachment,
  MembershipData,
  MessageData,
  RoomData,
  RoomType,
  WebexEvent,
} from '../events.js';
import { contentId, encodeId, membershipId } from '../ids.js';
import type { Activity, ActivityPerson } from './types.js';

export interface ActivityContext {
  /** REST base, e.g. `https://webexapis.com/v1` (U2C `hydra`). */
  restBase: string;
  /** When the receiver got the frame (ISO-8601). */
  receivedAt: string;
  /** Id cluster for non-PEOPLE ids. Default `us`. */
  cluster?: string;
}

const UUIDISH = /^[A-Za-z0-9-]{1,64}$/;
const MENTION_RE = /<spark-mention\b([^>]{0,400})>/gi;
const ATTR_RE = /data-(object-type|object-id|group-type)\s*=\s*"([^"]{0,100})"/gi;

function uuid(v: unknown): string | undefined {
  return typeof v === 'string' && UUIDISH.test(v) ? v : undefined;
}

function personUuid(p: ActivityPerson | undefined): string | undefined {
  return uuid(p?.entryUUID) ?? uuid(p?.id);
}

/** A list from outside input: anything but an array reads as empty (fuzzing found `items: 5` throwing). */
function list<T>(v: T[] | undefined): T[] {
  return Array.isArray(v) ? v : [];
}

function roomType(tags: unknown): RoomType {
  return Array.isArray(tags) && tags.includes('ONE_ON_ONE') ? 'direct' : 'group';
}

/** Mentions from the structured lists (§5.4), else from the HTML `<spark-mention>` tags. */
function mentions(a: Activity): { people: string[]; groups: string[] } {
  const people = new Set<string>();
  const groups = new Set<string>();
  for (const m of list(a.object?.mentions?.items)) {
    const id = uuid(m?.id);
    if (id && (m.objectType ?? 'person') === 'person') people.add(id);
  }
  for (const g of list(a.object?.groupMentions?.items)) {
    if (typeof g?.groupType === 'string') groups.add(g.groupType);
  }
  const html = a.object?.content;
  if (people.size === 0 && groups.size === 0 && typeof html === 'string' && html.length < 100_000) {
    for (const tag of html.matchAll(MENTION_RE)) {
      const attrs: Record<string, string> = {};
      for (const at of (tag[1] ?? '').matchAll(ATTR_RE)) attrs[(at[1] ?? '').toLowerCase()] = at[2] ?? '';
      const type = attrs['object-type'];
      const id = uuid(attrs['object-id']);
      if (type === 'person' && id) people.add(id);
      else if (type === 'groupMention') groups.add(attrs['group-type'] ?? 'all');
    }
  }
  return { people: [...people].map((p) => encodeId('PEOPLE', p)), groups: [...groups] };
}

function cards(a: Activity): CardAttachment[] {
  const out: CardAttachment[] = [];
  for (const c of list(a.object?.cards)) {
    try {
      const content = typeof c === 'string' ? (JSON.parse(c) as unknown) : c;
      if (content && typeof content === 'object') {
        out.push({
          contentType: 'application/vnd.microsoft.card.adaptive',
          content: content as Record<string, unknown>,
        });
      }
    } catch {
      // A card that is not JSON is left out; the text still arrives.
    }
  }
  return out;
}

function message(
  a: Activity,
  ctx: ActivityContext,
  id: string,
  roomUuid: string,
  actor: string,
): MessageData {
  const cluster = ctx.cluster ?? 'us';
  const activityId = uuid(a.id) ?? id;
  const m = mentions(a);
  const files = list(a.object?.files?.items).map(
    (_f, i) => `${ctx.restBase}/contents/${contentId(activityId, i, cluster)}`,
  );
  const parent = a.parent;
  const data: MessageData = {
    id: encodeId('MESSAGE', id, cluster),
    roomId: encodeId('ROOM', roomUuid, cluster),
    roomType: roomType(a.target?.tags),
    personId: encodeId('PEOPLE', actor),
    personEmail: a.actor?.emailAddress ?? '',
    text: typeof a.object?.displayName === 'string' ? a.object.displayName : '',
    html: typeof a.object?.content === 'string' ? a.object.content : undefined,
    mentionedPeople: m.people,
    mentionedGroups: m.groups,
    files,
    attachments: cards(a),
    created: a.published ?? ctx.receivedAt,
  };
  if (parent?.type === 'reply' && uuid(parent.id))
    data.parentId = encodeId('MESSAGE', parent.id as string, cluster);
  return data;
}

function membership(a: Activity, roomUuid: string, cluster: string): MembershipData | undefined {
  const p = a.object;
  const pid = personUuid(p);
  if (!pid) return undefined;
  return {
    id: membershipId(pid, roomUuid, cluster),
    roomId: encodeId('ROOM', roomUuid, cluster),
    personId: encodeId('PEOPLE', pid),
    personEmail: p?.emailAddress,
    personDisplayName: typeof p?.displayName === 'string' ? p.displayName : undefined,
    personOrgId: uuid(p?.orgId) ? encodeId('ORGANIZATION', p?.orgId as string) : undefined,
    isModerator: p?.roomProperties?.isModerator ?? a.verb === 'assignModerator',
    roomType: roomType(a.target?.tags),
    created: a.published,
  };
}

function room(a: Activity, roomUuid: string, cluster: string, actor: string | undefined): RoomData {
  // Outside input: a `tags` that is not an array reads as no tags (it used to throw, fuzzing found it).
  const raw: unknown = a.object?.tags ?? a.target?.tags;
  const tags: unknown[] = Array.isArray(raw) ? raw : [];
  const title = a.object?.displayName;
  return {
    id: encodeId('ROOM', roomUuid, cluster),
    type: roomType(tags),
    title: typeof title === 'string' ? title : undefined,
    isLocked: tags.includes('LOCKED'),
    isAnnouncementOnly: tags.includes('ANNOUNCEMENT') ? true : undefined,
    creatorId: a.verb === 'create' && actor ? encodeId('PEOPLE', actor) : undefined,
    lastActivity: a.published,
    created: a.verb === 'create' ? a.published : undefined,
  };
}

/**
 * The events of one decrypted activity: usually one, none for verbs we do not map (acknowledge, hide,
 * reactions, tombstones…), several for a room `create` (the room and its first memberships).
 */
export function activityToEvents(a: Activity, ctx: ActivityContext): WebexEvent[] {
  const cluster = ctx.cluster ?? 'us';
  const actor = personUuid(a.actor);
  const actorId = actor ? encodeId('PEOPLE', actor) : undefined;
  const base = { actorId, transport: 'mercury' as const, receivedAt: ctx.receivedAt };
  const roomUuid = uuid(a.target?.id);
  const objectType = a.object?.objectType;
  const id = uuid(a.id);
  switch (a.verb) {
    case 'post':
    case 'share': {
      if (!id || !roomUuid || !actor) return [];
      if (a.verb === 'post' && objectType !== 'comment') return [];
      if (a.verb === 'share' && objectType !== 'content') return [];
      if (a.parent?.type === 'edit' && uuid(a.parent.id)) {
        // §5.5: an SDK-style edit is a new activity whose parent is the edited message.
        const data = message(a, ctx, a.parent.id as string, roomUuid, actor);
        data.updated = a.published ?? ctx.receivedAt;
        return [{ type: 'message.updated', data, ...base }];
      }
      return [{ type: 'message.created', data: message(a, ctx, id, roomUuid, actor), ...base }];
    }
    case 'update': {
      if (objectType === 'comment') {
        // 3R's shape (§5.2): verb update on the comment itself.
        const target = uuid(a.object?.id) ?? id;
        if (!target || !roomUuid || !actor) return [];
        const data = message(a, ctx, target, roomUuid, actor);
        data.updated = a.published ?? ctx.receivedAt;
        return [{ type: 'message.updated', data, ...base }];
      }
      if (!roomUuid) return [];
      return [{ type: 'room.updated', data: room(a, roomUuid, cluster, actor), ...base }];
    }
    case 'lock':
    case 'unlock':
      if (!roomUuid) return [];
      return [{ type: 'room.updated', data: room(a, roomUuid, cluster, actor), ...base }];
    case 'delete': {
      const deleted = uuid(a.object?.id);
      if (!deleted || !roomUuid || !actor) return [];
      return [
        {
          type: 'message.deleted',
          data: {
            id: encodeId('MESSAGE', deleted, cluster),
            roomId: encodeId('ROOM', roomUuid, cluster),
            roomType: roomType(a.target?.tags),
            personId: encodeId('PEOPLE', actor),
            personEmail: a.actor?.emailAddress,
          },
          ...base,
        },
      ];
    }
    case 'cardAction': {
      const messageUuid = uuid(a.parent?.id);
      if (!id || !messageUuid || !roomUuid || !actor) return [];
      const inputs = a.object?.inputs;
      const data: AttachmentActionData = {
        id: encodeId('ATTACHMENT_ACTION', id, cluster),
        type: 'submit',
        messageId: encodeId('MESSAGE', messageUuid, cluster),
        personId: encodeId('PEOPLE', actor),
        roomId: encodeId('ROOM', roomUuid, cluster),
        inputs:
          inputs && typeof inputs === 'object' && !Array.isArray(inputs)
            ? (inputs as Record<string, unknown>)
            : {},
        created: a.published ?? ctx.receivedAt,
      };
      return [{ type: 'attachmentAction.created', data, ...base }];
    }
    case 'add':
    case 'leave':
    case 'assignModerator':
    case 'unassignModerator': {
      if (!roomUuid) return [];
      const data = membership(a, roomUuid, cluster);
      if (!data) return [];
      const type =
        a.verb === 'add'
          ? 'membership.created'
          : a.verb === 'leave'
            ? 'membership.deleted'
            : 'membership.updated';
      return [{ type, data, ...base }];
    }
    case 'create': {
      // §5.2: the room id is `object.id` (SDK), `target.id` as fallback (3R).
      const rid = uuid(a.object?.id) ?? roomUuid;
      if (!rid || (objectType !== undefined && objectType !== 'conversation')) return [];
      const events: WebexEvent[] = [{ type: 'room.created', data: room(a, rid, cluster, actor), ...base }];
      for (const p of list(a.object?.participants?.items)) {
        const data = membership({ ...a, object: p, verb: 'add' }, rid, cluster);
        if (data)
          events.push({
            type: 'membership.created',
            data: { ...data, isModerator: data.isModerator },
            ...base,
          });
      }
      return events;
    }
    default:
      return [];
  }
}

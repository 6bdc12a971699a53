/** Messages (docs/protocol.md §7.4, visibility §7.8). */
import { decodeId } from '@herald/webex';
import type { CardAttachment, Message, Person } from '../state/types.js';
import { EmulatorHttpError, type NewFile, type PostMessageInput, type World } from '../state/world.js';
import { noContent, ok, optString, type Route } from './env.js';
import type { RestRequest } from './http.js';
import { restId, uuidOf } from './ids.js';
import { boundaryOf, parseMultipart } from './multipart.js';
import { page, parseMax } from './paginate.js';
import { messageView } from './views.js';

const FORM_FIELDS = ['roomId', 'toPersonId', 'toPersonEmail', 'text', 'markdown', 'parentId'] as const;

/** POST /messages body, JSON or multipart/form-data, as the world's input (ids still REST ids). */
async function readCreateBody(req: RestRequest): Promise<Record<string, unknown>> {
  const type = String(req.headers['content-type'] ?? '');
  if (!/^multipart\/form-data/i.test(type)) return req.json();
  const parts = parseMultipart(await req.body(), boundaryOf(type));
  const body: Record<string, unknown> = {};
  const uploads: NewFile[] = [];
  for (const part of parts) {
    if (part.name === 'files') {
      uploads.push({
        name: part.filename ?? 'file',
        // §7.4: SDKs default to text/plain when they cannot guess.
        contentType: part.contentType ?? 'application/octet-stream',
        bytes: Buffer.from(part.data),
      });
    } else if ((FORM_FIELDS as readonly string[]).includes(part.name)) {
      body[part.name] = part.data.toString('utf8');
    }
  }
  body.files = uploads;
  return body;
}

const EXT_TYPES: Record<string, string> = {
  txt: 'text/plain',
  pdf: 'application/pdf',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  json: 'application/json',
  csv: 'text/csv',
};

/**
 * `files: [url]` (§7.4: Webex fetches public URLs). The emulator never touches the network: it
 * stores a small placeholder named after the URL's last path segment.
 */
function placeholderFile(url: unknown): NewFile {
  let parsed: URL;
  try {
    parsed = new URL(String(url));
  } catch {
    throw new EmulatorHttpError(400, 'files must contain a URL.');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new EmulatorHttpError(400, 'files URLs must be http or https.');
  }
  const last = parsed.pathname
    .split('/')
    .filter((s) => s.length > 0)
    .at(-1);
  let name = 'file';
  try {
    name = last ? decodeURIComponent(last) : 'file';
  } catch {}
  const ext = name.includes('.') ? name.split('.').at(-1)!.toLowerCase() : '';
  return {
    name,
    contentType: EXT_TYPES[ext] ?? 'application/octet-stream',
    bytes: Buffer.from(`emulator placeholder for ${parsed.href}\n`, 'utf8'),
  };
}

function toInput(body: Record<string, unknown>): PostMessageInput {
  const roomId = optString(body, 'roomId');
  const toPersonId = optString(body, 'toPersonId');
  const input: PostMessageInput = {
    roomId: roomId === undefined ? undefined : uuidOf(roomId, 'ROOM'),
    toPersonId: toPersonId === undefined ? undefined : uuidOf(toPersonId, 'PEOPLE'),
    toPersonEmail: optString(body, 'toPersonEmail'),
    text: optString(body, 'text'),
    markdown: optString(body, 'markdown'),
  };
  const parentId = optString(body, 'parentId');
  if (parentId !== undefined) {
    const d = decodeId(parentId);
    if (d?.type !== 'MESSAGE') throw new EmulatorHttpError(400, 'parentId is not a message id.');
    input.parentId = d.uuid;
  }
  // `html` is not an input (§7.4 decision: ignored on create).
  const files = body.files;
  if (files !== undefined) {
    if (!Array.isArray(files)) throw new EmulatorHttpError(400, 'files must be an array.');
    input.files = files.map((f: unknown) =>
      typeof f === 'object' && f !== null && 'bytes' in f ? (f as NewFile) : placeholderFile(f),
    );
  }
  const attachments = body.attachments;
  if (attachments !== undefined) {
    if (!Array.isArray(attachments)) throw new EmulatorHttpError(400, 'attachments must be an array.');
    input.attachments = attachments as CardAttachment[];
  }
  return input;
}

/** Messages of a room the caller may list, newest first, after the query's filters. */
function listable(world: World, me: Person, roomId: string, q: URLSearchParams): Message[] {
  const parentId = q.get('parentId');
  const parent = parentId === null ? undefined : uuidOf(parentId, 'MESSAGE');
  const mentioned = q.get('mentionedPeople');
  let mentionedMe = false;
  if (mentioned !== null) {
    // §7.4: only `me` or the caller's own id.
    const d = decodeId(mentioned);
    if (mentioned !== 'me' && !(d?.type === 'PEOPLE' && d.uuid === me.id)) {
      throw new EmulatorHttpError(400, 'mentionedPeople only supports me or your own person id.');
    }
    mentionedMe = true;
  }
  const before = q.get('before');
  const beforeMs = before === null ? undefined : Date.parse(before);
  if (beforeMs !== undefined && Number.isNaN(beforeMs))
    throw new EmulatorHttpError(400, 'before must be a timestamp.');
  const beforeMessage = q.get('beforeMessage');
  const all = [...world.messages.values()].filter((m) => m.roomId === roomId);
  let cut = all.length;
  if (beforeMessage !== null) {
    const id = uuidOf(beforeMessage, 'MESSAGE');
    cut = all.findIndex((m) => m.id === id);
    if (cut < 0) throw new EmulatorHttpError(400, 'beforeMessage is not a message of this room.');
  }
  return all
    .slice(0, cut)
    .filter(
      (m) =>
        !m.deleted &&
        world.canSeeMessage(me.id, m) &&
        (parent === undefined || m.parentId === parent) &&
        (!mentionedMe || m.mentionedPeople.includes(me.id)) &&
        (beforeMs === undefined || Date.parse(m.created) < beforeMs),
    )
    .reverse();
}

export const messageRoutes: Route[] = [
  {
    method: 'POST',
    pattern: '/messages',
    handler: async (req, env) => {
      const { world, ctx, limiter } = env;
      const input = toInput(await readCreateBody(req));
      limiter.take('post', req.token, input.roomId ?? `to:${input.toPersonId ?? input.toPersonEmail}`);
      const m = world.postMessage(req.me.id, input);
      const view = messageView(world, m, ctx.baseUrl());
      if (input.toPersonId) view.toPersonId = restId('PEOPLE', input.toPersonId);
      if (input.toPersonEmail) view.toPersonEmail = input.toPersonEmail;
      return ok(view);
    },
  },
  {
    method: 'GET',
    pattern: '/messages',
    handler: (req, { world, ctx, limiter }) => {
      const q = req.url.searchParams;
      const roomParam = q.get('roomId');
      if (!roomParam) throw new EmulatorHttpError(400, 'roomId is required.');
      const { room } = world.mustRoomOf(req.me.id, uuidOf(roomParam, 'ROOM'));
      const withMentions = q.get('mentionedPeople') !== null;
      // §7.8: bots must pass mentionedPeople=me in group rooms (403 otherwise).
      if (req.me.type === 'bot' && room.type === 'group' && !withMentions) {
        throw new EmulatorHttpError(
          403,
          'Bots must use mentionedPeople=me to list messages in a group space.',
        );
      }
      // §7.4: max default 50, ≤100 with mentionedPeople; otherwise unconfirmed, 1000 chosen.
      const max = parseMax(req.url, 50, withMentions ? 100 : 1000);
      limiter.take('read', req.token, room.id);
      return page(listable(world, req.me, room.id, q), req.url, ctx.baseUrl(), max, (m) =>
        messageView(world, m, ctx.baseUrl()),
      );
    },
  },
  {
    method: 'GET',
    pattern: '/messages/direct',
    handler: (req, { world, ctx, limiter }) => {
      const q = req.url.searchParams;
      const personId = q.get('personId');
      const personEmail = q.get('personEmail');
      if ((personId === null) === (personEmail === null)) {
        throw new EmulatorHttpError(400, 'Exactly one of personId or personEmail is required.');
      }
      const other =
        personId !== null
          ? world.people.get(uuidOf(personId, 'PEOPLE'))
          : world.personByEmail(personEmail ?? '');
      if (!other) throw new EmulatorHttpError(404, 'Could not find a person with the provided ID or email.');
      const max = parseMax(req.url, 50, 1000);
      const room = world.directRoom(req.me.id, other.id, false);
      limiter.take('read', req.token, room?.id ?? `to:${other.id}`);
      const items = room ? listable(world, req.me, room.id, q) : [];
      return page(items, req.url, ctx.baseUrl(), max, (m) => messageView(world, m, ctx.baseUrl()));
    },
  },
  {
    method: 'GET',
    pattern: '/messages/{id}',
    handler: (req, { world, ctx, limiter }) => {
      const m = world.mustMessageFor(req.me.id, uuidOf(req.params.id, 'MESSAGE'));
      // §8.5 decision: a fresh message may answer 404 for a configured time (context.ts SharedFaults).
      const hold = ctx.faults.messageNotFoundForMs;
      if (hold > 0 && world.now() - Date.parse(m.created) < hold)
        throw new EmulatorHttpError(404, 'Unable to get message.');
      limiter.take('read', req.token, m.roomId);
      return ok(messageView(world, m, ctx.baseUrl()));
    },
  },
  {
    method: 'PUT',
    pattern: '/messages/{id}',
    handler: async (req, { world, ctx }) => {
      const id = uuidOf(req.params.id, 'MESSAGE');
      const body = await req.json();
      // §7.4 "Edit": roomId required, html refused.
      const roomParam = optString(body, 'roomId');
      if (!roomParam) throw new EmulatorHttpError(400, 'roomId is required.');
      if (body.html !== undefined)
        throw new EmulatorHttpError(400, 'html cannot be set; send text or markdown.');
      const existing = world.mustMessageFor(req.me.id, id);
      if (uuidOf(roomParam, 'ROOM') !== existing.roomId)
        throw new EmulatorHttpError(400, 'roomId does not match the message.');
      const m = world.editMessage(req.me.id, id, {
        text: optString(body, 'text'),
        markdown: optString(body, 'markdown'),
      });
      return ok(messageView(world, m, ctx.baseUrl()));
    },
  },
  {
    method: 'DELETE',
    pattern: '/messages/{id}',
    handler: (req, { world, limiter }) => {
      limiter.take('delete', req.token);
      world.deleteMessage(req.me.id, uuidOf(req.params.id, 'MESSAGE'));
      return noContent();
    },
  },
];

/**
 * The HTTP face of the control API (`../control.ts`), under `/_emulator/`. JSON in, JSON out;
 * errors as `{message}` with the status. The server checks access (loopback, optional bearer)
 * before any `/_emulator/` route runs. Routes:
 *
 *   POST   /_emulator/seed                 {seed: Seed | "demo"}       load a seed
 *   POST   /_emulator/reset                                            back to the last seed
 *   GET    /_emulator/people | /people/{ref}                           people with their tokens
 *   GET    /_emulator/rooms  | /rooms/{ref}                            rooms with their members
 *   GET    /_emulator/rooms/{ref}/messages                             every message, oldest first
 *   POST   /_emulator/act/{person}/{action}                            act as a person, see below
 *   GET    /_emulator/requests?method=&path=  DELETE /_emulator/requests   the REST request log
 *   PUT    /_emulator/ratelimits             RateLimitOptions
 *   PUT    /_emulator/faults                 ControlFaults
 *   POST   /_emulator/files/hold             {file, polls, result?}
 *
 * Actions: `post` (ActPostInput; `file: {name, contentType, base64}`), `edit` {message, text?,
 * markdown?}, `delete` {message}, `create-room` {title, isLocked?, isAnnouncementOnly?, members?},
 * `update-room` {room, ...patch}, `add-member` {room, person, isModerator?}, `remove-member`
 * {room, person}, `set-moderator` {room, person, isModerator}, `submit-card` {message, inputs}.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorControl } from '../control.js';
import { EmulatorHttpError } from '../state/world.js';
import { parseJsonObject, readBody } from './http.js';

const PREFIX = '/_emulator/';
const MAX_CONTROL_BODY = 64 * 1024 * 1024;

type Json = Record<string, unknown>;

const str = (b: Json, k: string): string => {
  const v = b[k];
  if (typeof v !== 'string' || v === '') throw new EmulatorHttpError(400, `${k} is required (a string).`);
  return v;
};
const optStr = (b: Json, k: string): string | undefined =>
  typeof b[k] === 'string' ? (b[k] as string) : undefined;
const optBool = (b: Json, k: string): boolean | undefined =>
  typeof b[k] === 'boolean' ? (b[k] as boolean) : undefined;

function act(control: EmulatorControl, person: string, action: string, b: Json): unknown {
  switch (action) {
    case 'post': {
      const file = b.file as { name?: unknown; contentType?: unknown; base64?: unknown } | undefined;
      return control.post(person, {
        room: optStr(b, 'room'),
        toPerson: optStr(b, 'toPerson'),
        text: optStr(b, 'text'),
        markdown: optStr(b, 'markdown'),
        parentId: optStr(b, 'parentId'),
        card: typeof b.card === 'object' && b.card !== null ? (b.card as Json) : undefined,
        file: file
          ? {
              name: String(file.name ?? 'file'),
              contentType: typeof file.contentType === 'string' ? file.contentType : undefined,
              bytes: Buffer.from(String(file.base64 ?? ''), 'base64'),
            }
          : undefined,
      } as Parameters<EmulatorControl['post']>[1]);
    }
    case 'edit':
      return control.edit(person, str(b, 'message'), {
        text: optStr(b, 'text'),
        markdown: optStr(b, 'markdown'),
      });
    case 'delete':
      control.deleteMessage(person, str(b, 'message'));
      return {};
    case 'create-room':
      return control.createRoom(person, {
        title: str(b, 'title'),
        isLocked: optBool(b, 'isLocked'),
        isAnnouncementOnly: optBool(b, 'isAnnouncementOnly'),
        members: Array.isArray(b.members) ? b.members.map(String) : undefined,
      });
    case 'update-room':
      return control.updateRoom(person, str(b, 'room'), {
        title: optStr(b, 'title'),
        isLocked: optBool(b, 'isLocked'),
        isAnnouncementOnly: optBool(b, 'isAnnouncementOnly'),
        description: optStr(b, 'description'),
      });
    case 'add-member':
      return control.addMember(person, str(b, 'room'), str(b, 'person'), optBool(b, 'isModerator'));
    case 'remove-member':
      control.removeMember(person, str(b, 'room'), str(b, 'person'));
      return {};
    case 'set-moderator':
      return control.setModerator(
        person,
        str(b, 'room'),
        str(b, 'person'),
        optBool(b, 'isModerator') ?? true,
      );
    case 'submit-card':
      return control.submitCard(person, str(b, 'message'), (b.inputs as Json | undefined) ?? {});
    default:
      throw new EmulatorHttpError(404, `no action "${action}"`);
  }
}

async function route(control: EmulatorControl, req: IncomingMessage, url: URL): Promise<unknown> {
  const parts = url.pathname.slice(PREFIX.length).split('/').map(decodeURIComponent);
  const method = req.method ?? 'GET';
  const body = async (): Promise<Json> => parseJsonObject(await readBody(req, MAX_CONTROL_BODY));
  const [a, b, c, d] = parts;
  if (method === 'POST' && a === 'seed' && parts.length === 1) {
    const seed = (await body()).seed;
    if (seed !== 'demo' && (typeof seed !== 'object' || seed === null))
      throw new EmulatorHttpError(400, 'seed is required.');
    control.loadSeed(seed as Parameters<EmulatorControl['loadSeed']>[0]);
    return { people: control.people(), rooms: control.rooms().length };
  }
  if (method === 'POST' && a === 'reset' && parts.length === 1) {
    control.reset();
    return {};
  }
  if (method === 'GET' && a === 'people') {
    if (b === undefined) return { items: control.people() };
    if (parts.length === 2) return control.person(b);
  }
  if (method === 'GET' && a === 'rooms') {
    if (b === undefined) return { items: control.rooms() };
    if (parts.length === 2) return control.room(b);
    if (c === 'messages' && parts.length === 3) return { items: control.messages(b) };
  }
  if (method === 'POST' && a === 'act' && b && c && d === undefined) return act(control, b, c, await body());
  if (a === 'requests' && parts.length === 1) {
    if (method === 'GET') {
      const q = url.searchParams;
      return {
        items: control.requests({ method: q.get('method') ?? undefined, path: q.get('path') ?? undefined }),
      };
    }
    if (method === 'DELETE') {
      control.clearRequests();
      return {};
    }
  }
  if (method === 'PUT' && a === 'ratelimits' && parts.length === 1) {
    control.setRateLimits(await body());
    return {};
  }
  if (method === 'PUT' && a === 'faults' && parts.length === 1) {
    control.setFaults(await body());
    return {};
  }
  if (method === 'POST' && a === 'files' && b === 'hold' && parts.length === 2) {
    const json = await body();
    const result = optStr(json, 'result');
    if (result !== undefined && result !== 'clean' && result !== 'infected' && result !== 'unscannable') {
      throw new EmulatorHttpError(400, 'result must be clean, infected or unscannable.');
    }
    control.holdFile(str(json, 'file'), Number(json.polls ?? 1), result);
    return {};
  }
  throw new EmulatorHttpError(404, `no control route ${method} ${url.pathname}`);
}

/** Answer a `/_emulator/` request; false when the path is not under it. */
export async function handleControl(
  control: EmulatorControl,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  if (!url.pathname.startsWith(PREFIX)) return false;
  let status = 200;
  let json: unknown;
  try {
    json = await route(control, req, url);
  } catch (err) {
    status = err instanceof EmulatorHttpError ? err.status : 500;
    json = { message: err instanceof Error ? err.message : String(err) };
  }
  if (!req.readableEnded) req.resume();
  const bytes = Buffer.from(JSON.stringify(json ?? {}), 'utf8');
  res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': bytes.length });
  res.end(bytes);
  return true;
}

/**
 * The chat page: a small Webex client for people who have never seen one. `GET /` serves the page;
 * its script, style and data live under `/_emulator/ui/`, behind the same access check as the rest
 * of the control API (loopback, optional control token). Reads are shaped for one person (no
 * tokens anywhere); writes go through the control API's `/_emulator/act/{person}/{action}`, so the
 * page obeys the same world rules as REST.
 *
 *   GET /                                          the page (static)
 *   GET /_emulator/ui/{name}.js | style.css        its script modules (browser/, entry app.js) and style
 *   GET /_emulator/ui/people                       people, without tokens
 *   GET /_emulator/ui/spaces?person=               the person's spaces, newest activity first
 *   GET /_emulator/ui/spaces/{room}?person=        one space with its members
 *   GET /_emulator/ui/spaces/{room}/messages?person=   its messages, oldest first (the newest 500)
 *   GET /_emulator/ui/files/{CONTENT id}?person=   a file's bytes, if the person can see its message
 *   GET /_emulator/ui/events?person=               Server-Sent Events: changes the person may see
 *
 * `person` takes a seed key, an e-mail, a uuid or a PEOPLE REST id; `room` a seed key, a uuid or a
 * ROOM REST id.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeId } from '@herald/webex';
import type { EmulatorContext, Subsystem } from '../context.js';
import type { EmulatorControl } from '../control.js';
import { contentDisposition } from '../rest/contents.js';
import { uuidOf } from '../rest/ids.js';
import type { Person, Room } from '../state/types.js';
import { EmulatorHttpError } from '../state/world.js';
import { UiEvents, type UiEventsOptions } from './events.js';
import { type UiMessage, uiMembers, uiMessage, uiPerson, uiSpaces } from './views.js';

export type { UiEventsOptions } from './events.js';

const PREFIX = '/_emulator/ui/';
/** The page loads at most this many messages of a space (the newest). */
const MAX_MESSAGES = 500;

interface Asset {
  type: string;
  bytes: Buffer;
}

/** The page, its style, and every script module of `browser/` (the page loads `app.js`, which imports the rest). */
function loadAssets(): Map<string, Asset> {
  const read = (name: string) => readFileSync(new URL(`./${name}`, import.meta.url));
  const scripts = readdirSync(new URL('./browser/', import.meta.url)).filter((name) => name.endsWith('.js'));
  return new Map([
    ['/', { type: 'text/html; charset=utf-8', bytes: read('page.html') }],
    [`${PREFIX}style.css`, { type: 'text/css; charset=utf-8', bytes: read('style.css') }],
    ...scripts.map((name): [string, Asset] => [
      `${PREFIX}${name}`,
      { type: 'text/javascript; charset=utf-8', bytes: read(`browser/${name}`) },
    ]),
  ]);
}

/** The page renders untrusted message and card text; this keeps any slip from running script. */
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

/**
 * DNS rebinding guard: a page on a foreign name that resolves to 127.0.0.1 would pass the loopback
 * check, so data routes answer only requests addressed to a loopback name.
 */
function loopbackHost(req: IncomingMessage): boolean {
  const host = (req.headers.host ?? '').toLowerCase().replace(/:\d+$/, '');
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.') || host.endsWith('.localhost');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, {
    'Content-Type': 'application/json;charset=UTF-8',
    'Content-Length': bytes.length,
    'Cache-Control': 'no-store',
  });
  res.end(bytes);
}

export interface UiOptions {
  events?: UiEventsOptions;
}

export function installUi(
  ctx: EmulatorContext,
  control: EmulatorControl,
  options: UiOptions = {},
): Subsystem & { events: UiEvents } {
  const { world } = ctx;
  const assets = loadAssets();
  const events = new UiEvents(world, options.events);

  const personOf = (ref: string | null): Person => {
    if (!ref) throw new EmulatorHttpError(400, 'person is required.');
    const p = world.people.get(control.person(ref).uuid);
    if (!p) throw new EmulatorHttpError(404, `no person "${ref}"`);
    return p;
  };
  /** A room the viewer is a member of; 404 otherwise, as REST answers a non-member. */
  const roomFor = (viewer: Person, ref: string): Room => {
    const room = world.rooms.get(control.room(ref).uuid);
    if (!room || !world.membership(viewer.id, room.id)) {
      throw new EmulatorHttpError(404, 'Could not find a room with provided ID.');
    }
    return room;
  };

  function messagesFor(viewer: Person, room: Room, viewerRef: string): UiMessage[] {
    const out: UiMessage[] = [];
    for (const m of world.messages.values()) {
      if (m.roomId === room.id && !m.deleted && world.canSeeMessage(viewer.id, m))
        out.push(uiMessage(world, m, viewerRef));
    }
    return out.slice(-MAX_MESSAGES);
  }

  function download(res: ServerResponse, viewer: Person, contentId: string): void {
    const fileId = uuidOf(contentId, 'CONTENT');
    const file = world.files.get(fileId);
    const message = file && world.messages.get(fileId.split('/')[0] ?? '');
    if (!file || !message || message.deleted || !world.canSeeMessage(viewer.id, message)) {
      throw new EmulatorHttpError(404, 'Could not find the content with provided ID.');
    }
    // The page shows what Webex would: an infected file is gone (docs/protocol.md §7.6); scan holds are REST's concern.
    if (file.scanResult === 'infected')
      throw new EmulatorHttpError(410, 'The file was found infected and removed.');
    res.writeHead(200, {
      'Content-Type': file.contentType,
      'Content-Length': file.bytes.length,
      'Content-Disposition': contentDisposition(file.name),
      ...SECURITY_HEADERS,
    });
    res.end(file.bytes);
  }

  /** The JSON a data route answers, or undefined when it answered itself (files, events). */
  function route(res: ServerResponse, url: URL): unknown {
    const parts = url.pathname.slice(PREFIX.length).split('/').map(decodeURIComponent);
    const [a, b, c] = parts;
    if (a === 'people' && parts.length === 1) {
      return { items: [...world.people.values()].map((p) => uiPerson(world, p)) };
    }
    const viewerRef = url.searchParams.get('person') ?? '';
    const viewer = personOf(viewerRef);
    if (a === 'spaces' && parts.length === 1) return { items: uiSpaces(world, viewer.id) };
    if (a === 'spaces' && b && parts.length === 2) {
      const room = roomFor(viewer, b);
      const space = uiSpaces(world, viewer.id).find((s) => decodeId(s.id)?.uuid === room.id);
      return { ...space, members: uiMembers(world, room.id) };
    }
    if (a === 'spaces' && b && c === 'messages' && parts.length === 3) {
      return { items: messagesFor(viewer, roomFor(viewer, b), viewerRef) };
    }
    if (a === 'files' && b && parts.length === 2) {
      download(res, viewer, b);
      return undefined;
    }
    if (a === 'events' && parts.length === 1) {
      if (!events.open(res, viewer.id, viewerRef)) {
        throw new EmulatorHttpError(503, 'Too many chat pages are open; close one and reload.');
      }
      return undefined;
    }
    throw new EmulatorHttpError(404, `Nothing at ${url.pathname}.`);
  }

  return {
    events,
    handle(req, res, url) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      const asset = assets.get(url.pathname);
      if (asset) {
        res.writeHead(200, {
          'Content-Type': asset.type,
          'Content-Length': asset.bytes.length,
          ...SECURITY_HEADERS,
        });
        res.end(req.method === 'HEAD' ? undefined : asset.bytes);
        return true;
      }
      if (!url.pathname.startsWith(PREFIX)) return false;
      try {
        if (!loopbackHost(req))
          throw new EmulatorHttpError(403, 'The chat page answers loopback host names only.');
        const json = route(res, url);
        if (json !== undefined) sendJson(res, 200, json);
      } catch (err) {
        if (res.headersSent) res.destroy();
        else
          sendJson(res, err instanceof EmulatorHttpError ? err.status : 500, {
            message: err instanceof Error ? err.message : String(err),
          });
      }
      return true;
    },
    reset: () => events.reset(),
    stop: () => events.stop(),
  };
}

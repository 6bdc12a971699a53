// Test helper (not a test file): the emulator's Mercury subsystem on a real HTTP server (port 0), plus
// a minimal REST shim (people/me, rooms, messages, contents) until the full emulator is wired.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeId, idToUuid } from '@herald/webex';
import type { EmulatorContext } from '../src/context.js';
import { installMercury } from '../src/mercury/index.js';
import type { Message, Seed } from '../src/state/types.js';
import { World } from '../src/state/world.js';

export const SEED: Seed = {
  orgs: [{ key: 'acme', displayName: 'Acme' }],
  people: [
    { key: 'alice', org: 'acme', email: 'alice@acme.test', displayName: 'Alice', token: 'alice-token' },
    { key: 'bob', org: 'acme', email: 'bob@acme.test', displayName: 'Bob', token: 'bob-token' },
    {
      key: 'bot',
      org: 'acme',
      email: 'herald@webex.bot',
      displayName: 'Herald',
      type: 'bot',
      token: 'bot-token',
    },
  ],
  rooms: [
    { key: 'dm', title: 'Alice', type: 'direct', creator: 'alice', members: ['alice', 'bot'] },
    { key: 'team', title: 'Team', creator: 'alice', members: ['alice', 'bob', 'bot'] },
  ],
};

function restMessage(w: World, m: Message, base: string) {
  const room = w.rooms.get(m.roomId);
  return {
    id: encodeId('MESSAGE', m.id),
    roomId: encodeId('ROOM', m.roomId),
    roomType: room?.type ?? 'group',
    text: m.text,
    html: m.html,
    personId: encodeId('PEOPLE', m.personId),
    personEmail: w.people.get(m.personId)?.emails[0] ?? '',
    mentionedPeople: m.mentionedPeople.map((p) => encodeId('PEOPLE', p)),
    mentionedGroups: m.mentionedGroups,
    files: m.files.map((f) => `${base}/v1/contents/${encodeId('CONTENT', f)}`),
    created: m.created,
  };
}

function shim(w: World, base: () => string, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  if (!url.pathname.startsWith('/v1/')) return false;
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const me = w.personByToken(token);
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  if (!me) {
    json(401, { message: 'unauthorized' });
    return true;
  }
  if (url.pathname === '/v1/people/me') {
    json(200, {
      id: encodeId('PEOPLE', me.id),
      emails: me.emails,
      displayName: me.displayName,
      orgId: encodeId('ORGANIZATION', me.orgId),
      type: me.type,
    });
    return true;
  }
  if (url.pathname === '/v1/rooms') {
    const rooms = [...w.rooms.values()]
      .filter((r) => w.membership(me.id, r.id))
      .sort((a, b) => b.lastActivity.localeCompare(a.lastActivity))
      .map((r) => ({
        id: encodeId('ROOM', r.id),
        title: r.title,
        type: r.type,
        isLocked: r.isLocked,
        lastActivity: r.lastActivity,
        creatorId: encodeId('PEOPLE', r.creatorId),
        created: r.created,
      }));
    json(200, { items: rooms });
    return true;
  }
  if (url.pathname === '/v1/messages') {
    const roomId = idToUuid(url.searchParams.get('roomId') ?? '', 'ROOM');
    const items = [...w.messages.values()]
      .filter((m) => m.roomId === roomId && !m.deleted && w.canSeeMessage(me.id, m))
      .reverse()
      .map((m) => restMessage(w, m, base()));
    json(200, { items });
    return true;
  }
  const c = /^\/v1\/contents\/([^/]+)$/.exec(url.pathname);
  if (c) {
    const f = w.files.get(idToUuid(c[1] as string, 'CONTENT'));
    if (!f) json(404, { message: 'not found' });
    else
      res
        .writeHead(200, {
          'content-type': f.contentType,
          'content-disposition': `attachment; filename="${f.name}"`,
        })
        .end(f.bytes);
    return true;
  }
  return false;
}

export async function startMercuryHarness() {
  const world = new World(Date.now, { randomSeed: 42 });
  world.loadSeed(SEED);
  let base = '';
  const ctx: EmulatorContext = {
    world,
    baseUrl: () => base,
    wsBaseUrl: () => base.replace(/^http/, 'ws'),
    faults: { messageNotFoundForMs: 0 },
    log: () => {},
  };
  const mercury = installMercury(ctx);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', base);
    void (async () => {
      if (await mercury.handle?.(req, res, url)) return;
      if (shim(world, () => base, req, res, url)) return;
      res.writeHead(404).end();
    })();
  });
  server.on('upgrade', (req, socket, head) => {
    if (!mercury.upgrade?.(req, socket, head, new URL(req.url ?? '/', base))) socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const id = (key: string) => world.keys.people.get(key) ?? world.keys.rooms.get(key) ?? key;
  return {
    world,
    control: mercury.control,
    url: base,
    id,
    async stop() {
      await mercury.stop?.();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

// The library's default transport (src/node-http.ts) against real HTTP servers on port 0: what a
// REST client relies on fetch for (keep-alive, redirects, compressed answers, multipart bodies,
// bounded and binary bodies) holds on node:http too, and the global fetch (undici) never loads.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { ProtocolError, WebexNetworkError } from '../src/errors.js';
import { WebexClient } from '../src/rest/index.js';
import { json } from './json-answer.js';

const TOKEN = 'secret-token-OTg3NjU0MzIxMDk4NzY1NDMyMTA';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
  socket: number;
}

const servers: Server[] = [];
after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A server that records each request, and which connection it came on. */
async function serve(
  handler: (req: Seen, res: ServerResponse) => void,
): Promise<{ url: string; seen: Seen[]; connections(): number }> {
  const seen: Seen[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const socket = (req.socket as { herald?: number }).herald ?? 0;
      const entry = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        socket,
      };
      seen.push(entry);
      handler(entry, res);
    });
  });
  server.on('connection', (s) => {
    (s as { herald?: number }).herald = ++connections;
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, seen, connections: () => connections };
}

const client = (url: string, extra: Record<string, unknown> = {}) =>
  new WebexClient({ token: TOKEN, baseUrl: `${url}/v1`, retry: { attempts: 1 }, ...extra });

describe('node:http transport (the REST client without a fetch)', () => {
  it('keeps one connection alive across sequential calls', async () => {
    const srv = await serve((_req, res) => json(res, 200, { id: 'x', items: [] }));
    const c = client(srv.url);
    for (let i = 0; i < 5; i++) await c.people.me();
    assert.equal(srv.seen.length, 5);
    assert.equal(srv.connections(), 1);
    assert.deepEqual(new Set(srv.seen.map((s) => s.socket)), new Set([1]));
  });

  it('follows a same-origin redirect with the token, the method and the body (307)', async () => {
    const srv = await serve((req, res) => {
      if (req.url === '/v1/messages') {
        res.writeHead(307, { location: '/v1/messages-moved' });
        res.end();
      } else json(res, 200, { id: 'm1', roomId: 'r' });
    });
    const msg = await client(srv.url).messages.create({ roomId: 'r', text: 'hello' });
    assert.equal(msg.id, 'm1');
    const [first, second] = srv.seen;
    assert.equal(second?.url, '/v1/messages-moved');
    assert.equal(second?.method, 'POST');
    assert.equal(second?.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(JSON.parse(String(second?.body)), JSON.parse(String(first?.body)));
  });

  it('drops the Authorization header when a redirect leaves the origin, and a 303 turns a POST into a bodiless GET', async () => {
    const other = await serve((_req, res) => json(res, 200, { id: 'elsewhere' }));
    const srv = await serve((_req, res) => {
      res.writeHead(303, { location: `${other.url}/landing` });
      res.end();
    });
    await client(srv.url).request({ method: 'POST', path: '/messages', json: { text: 'x' } });
    const [landed] = other.seen;
    assert.equal(landed?.method, 'GET');
    assert.equal(landed?.headers.authorization, undefined);
    assert.equal(landed?.headers['content-type'], undefined);
    assert.equal(landed?.body.length, 0);
  });

  it('gives up after 20 redirects with a network error', async () => {
    const srv = await serve((req, res) => {
      res.writeHead(302, { location: `${req.url}x` });
      res.end();
    });
    await assert.rejects(client(srv.url).people.me(), (err) => {
      assert.ok(err instanceof WebexNetworkError);
      assert.match(err.message, /redirects/);
      return true;
    });
    assert.equal(srv.seen.length, 21);
  });

  for (const [encoding, encode] of [
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const) {
    it(`asks for compressed answers and decodes ${encoding}`, async () => {
      const srv = await serve((_req, res) => {
        const body = encode(Buffer.from(JSON.stringify({ id: 'p1', displayName: 'Zoë' })));
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding });
        res.end(body);
      });
      const me = await client(srv.url).people.me();
      assert.equal(me.displayName, 'Zoë');
      assert.match(String(srv.seen[0]?.headers['accept-encoding']), new RegExp(`\\b${encoding}\\b`));
    });
  }

  it('reads no body after a HEAD, even one that names the compression of the GET', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/pdf',
        'content-encoding': 'gzip',
        'content-length': '1234',
        'content-disposition': 'attachment; filename="q3.pdf"',
      });
      res.end();
    });
    const info = await client(srv.url).contents.info('Y29udGVudA');
    assert.deepEqual(info, { filename: 'q3.pdf', contentType: 'application/pdf', size: 1234 });
  });

  it('sends a file as multipart with its boundary, and downloads bytes exactly as sent', async () => {
    const bytes = Buffer.from([0, 255, 254, 10, 13, 128, 0xc3, 0x28]);
    const srv = await serve((req, res) => {
      if (req.method === 'POST') json(res, 200, { id: 'm1', roomId: 'r' });
      else {
        res.writeHead(200, {
          'content-type': 'application/octet-stream',
          'content-disposition': 'attachment; filename="blob.bin"',
        });
        res.end(bytes);
      }
    });
    const c = client(srv.url);
    await c.messages.create({
      roomId: 'r',
      markdown: 'file',
      file: { data: bytes, filename: 'blob.bin', contentType: 'application/octet-stream' },
    });
    const post = srv.seen[0];
    const type = String(post?.headers['content-type']);
    assert.match(type, /^multipart\/form-data; boundary=/);
    assert.equal(Number(post?.headers['content-length']), post?.body.length);
    assert.ok(post?.body.includes(bytes), 'the file bytes are in the body');
    assert.ok(post?.body.includes(Buffer.from('filename="blob.bin"')));
    const got = await c.contents.download('Y29udGVudA');
    assert.deepEqual(got.data, bytes);
    assert.equal(got.filename, 'blob.bin');
  });

  it('refuses an answer larger than the limit, announced or not', async () => {
    const big = Buffer.alloc(4096, 0x61);
    const srv = await serve((req, res) => {
      // The first answer says its length; the second is chunked.
      if (req.url.includes('announced')) res.writeHead(200, { 'content-length': big.length });
      else res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.end(big);
    });
    const c = client(srv.url, { maxResponseBytes: 1000 });
    for (const path of ['/announced', '/chunked'])
      await assert.rejects(c.request({ method: 'GET', path }), ProtocolError);
  });

  it('ends a compressed answer cut short with a network error, not a wait without end', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      // Half of a gzip body, and then nothing: the client's time limit ends it.
      const body = gzipSync(Buffer.from(JSON.stringify({ id: 'p1', padding: 'x'.repeat(5000) })));
      res.write(body.subarray(0, body.length >> 1));
    });
    await assert.rejects(client(srv.url, { timeoutMs: 200 }).people.me(), (err) => {
      assert.ok(err instanceof WebexNetworkError);
      assert.equal(err.code, 'HERALD_TIMEOUT');
      return true;
    });
  });

  it('loads neither undici nor the global fetch for REST calls', () => {
    // A child process: this one has loaded undici for other tests' servers long ago.
    const script = `
      import { createServer } from 'node:http';
      import { WebexClient } from ${JSON.stringify(fileURLToPath(new URL('../src/rest/index.ts', import.meta.url)))};
      const server = createServer((req, res) => { res.setHeader('content-type', 'application/json'); res.end('{"id":"me"}'); });
      await new Promise((r) => server.listen(0, '127.0.0.1', r));
      const c = new WebexClient({ token: 't', baseUrl: 'http://127.0.0.1:' + server.address().port + '/v1' });
      await c.people.me();
      await c.messages.create({ roomId: 'r', text: 'hi' });
      server.close();
      console.log(process.moduleLoadList.some((m) => m.includes('undici')));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    assert.equal(out.trim(), 'false');
  });
});

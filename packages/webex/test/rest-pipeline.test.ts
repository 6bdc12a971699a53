// The REST pipeline against small real HTTP servers on port 0: exact control of 429 bursts, 5xx,
// Retry-After values, Link headers, 423 sequences, hangs and aborts. Waits go through an injected
// sleep that records them; nothing here waits for a real timer longer than a few ms.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import {
  AbortedError,
  ContentNotReadyError,
  InvalidArgumentError,
  UrlNotAllowedError,
  WebexApiError,
  WebexNetworkError,
} from '../src/errors.js';
import { WebexClient, type WebexClientOptions } from '../src/rest/index.js';
import { json } from './json-answer.js';

const TOKEN = 'secret-token-MzQ1Njc4OTAxMjM0NTY3ODkw';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

type Handler = (req: Seen, res: ServerResponse, n: number) => void | Promise<void>;

interface TestServer {
  url: string;
  seen: Seen[];
  close(): Promise<void>;
}

const servers: Server[] = [];
after(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: Handler): Promise<TestServer> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      seen.push(entry);
      void handler(entry, res, seen.length);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

function client(
  base: string,
  extra: Partial<WebexClientOptions> = {},
): { client: WebexClient; waits: number[] } {
  const waits: number[] = [];
  const c = new WebexClient({
    token: TOKEN,
    baseUrl: base,
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0,
    ...extra,
  });
  return { client: c, waits };
}

const ME = { id: 'me-id', emails: ['bot@webex.bot'], displayName: 'Bot', orgId: 'org', type: 'bot' };

function assertNoToken(err: unknown): void {
  const e = err as Error;
  const everything = [e.message, e.stack ?? '', JSON.stringify(e), String(e)].join('\n');
  assert.ok(!everything.includes(TOKEN), 'the token leaked into an error');
}

describe('rate limiting (429 + Retry-After)', () => {
  it('waits what the server asked during a 429 burst, then succeeds', async () => {
    const asked = [2, 5, 1, 3];
    const srv = await serve((_req, res, n) => {
      const wait = asked[n - 1];
      if (wait !== undefined)
        json(res, 429, { message: 'Too many requests' }, { 'retry-after': String(wait) });
      else json(res, 200, ME);
    });
    const { client: c, waits } = client(srv.url);
    const me = await c.people.me();
    assert.equal(me.id, 'me-id');
    assert.equal(srv.seen.length, asked.length + 1);
    const expected = asked.reduce((a, b) => a + b, 0) * 1000;
    const total = waits.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - expected) <= expected * 0.1, `waited ${total} ms, asked ${expected} ms`);
    assert.deepEqual(waits, [2000, 5000, 1000, 3000]);
  });

  it('waits 15 s when Retry-After is missing or malformed, and honours an HTTP date', async () => {
    const now = Date.UTC(2024, 0, 1, 12, 0, 0);
    const headers: Record<string, string>[] = [
      {},
      { 'retry-after': 'soon' },
      { 'retry-after': new Date(now + 7000).toUTCString() },
    ];
    const srv = await serve((_req, res, n) => {
      const h = headers[n - 1];
      if (h) json(res, 429, { message: 'slow down' }, h);
      else json(res, 200, ME);
    });
    const { client: c, waits } = client(srv.url, { now: () => now });
    await c.people.me();
    assert.deepEqual(waits, [15_000, 15_000, 7000]);
  });

  it('retries a 429 even for POST /messages (Webex did not process it)', async () => {
    const srv = await serve((req, res, n) => {
      if (n === 1) json(res, 429, { message: 'slow down' }, { 'retry-after': '1' });
      else json(res, 200, { id: 'm1', roomId: 'r1', ...JSON.parse(req.body.toString()) });
    });
    const { client: c, waits } = client(srv.url);
    const m = await c.messages.create({ roomId: 'r1', text: 'hi' });
    assert.equal(m.id, 'm1');
    assert.deepEqual(waits, [1000]);
    assert.equal(srv.seen.length, 2);
  });

  it('does not wait longer than maxWaitS: throws with retryAfter instead', async () => {
    const srv = await serve((_req, res) =>
      json(res, 429, { message: 'slow down' }, { 'retry-after': '3600' }),
    );
    const { client: c, waits } = client(srv.url);
    const err = await c.people.me().catch((e: unknown) => e);
    assert.ok(err instanceof WebexApiError);
    assert.equal(err.status, 429);
    assert.equal(err.retryAfter, 3600);
    assert.deepEqual(waits, []);
    assert.equal(srv.seen.length, 1);
  });

  it('gives up after retry.attempts tries with the last 429', async () => {
    const srv = await serve((_req, res) => json(res, 429, { message: 'slow down' }, { 'retry-after': '1' }));
    const { client: c, waits } = client(srv.url, { retry: { attempts: 3 } });
    await assert.rejects(c.people.me(), (e: unknown) => e instanceof WebexApiError && e.status === 429);
    assert.equal(srv.seen.length, 3);
    assert.deepEqual(waits, [1000, 1000]);
  });
});

describe('5xx and network errors', () => {
  it('retries a GET after 503 with exponential backoff', async () => {
    const srv = await serve((_req, res, n) => {
      if (n <= 2) json(res, 503, { message: 'unavailable' });
      else json(res, 200, ME);
    });
    const { client: c, waits } = client(srv.url);
    await c.people.me();
    assert.equal(srv.seen.length, 3);
    assert.deepEqual(waits, [500, 1000]);
  });

  it('uses a 503 Retry-After when present', async () => {
    const srv = await serve((_req, res, n) => {
      if (n === 1) json(res, 503, { message: 'unavailable' }, { 'retry-after': '4' });
      else json(res, 200, ME);
    });
    const { client: c, waits } = client(srv.url);
    await c.people.me();
    assert.deepEqual(waits, [4000]);
  });

  it('caps and jitters backoff', async () => {
    const srv = await serve((_req, res) => json(res, 502, { message: 'bad gateway' }));
    const { client: c, waits } = client(srv.url, {
      random: () => 0.5,
      retry: { attempts: 7, base: 1000, cap: 5000, jitter: 0.2 },
    });
    await assert.rejects(c.rooms.get('r1'), (e: unknown) => e instanceof WebexApiError && e.status === 502);
    assert.deepEqual(waits, [900, 1800, 3600, 4500, 4500, 4500]);
  });

  it('never repeats POST /messages after a 503', async () => {
    const srv = await serve((_req, res) => json(res, 503, { message: 'unavailable', trackingId: 'NA_1' }));
    const { client: c, waits } = client(srv.url);
    const err = await c.messages.create({ roomId: 'r1', text: 'once' }).catch((e: unknown) => e);
    assert.ok(err instanceof WebexApiError);
    assert.equal(err.status, 503);
    assert.equal(srv.seen.length, 1);
    assert.deepEqual(waits, []);
  });

  it('repeats a POST marked idempotent', async () => {
    const srv = await serve((_req, res, n) => {
      if (n === 1) json(res, 500, { message: 'oops' });
      else json(res, 200, { id: 'w1', name: 'n' });
    });
    const { client: c } = client(srv.url);
    const hook = await c.webhooks.create(
      { name: 'n', targetUrl: 'https://x.example/h', resource: 'messages', event: 'created' },
      { idempotent: true },
    );
    assert.equal(hook.id, 'w1');
    assert.equal(srv.seen.length, 2);
  });

  it('retries a GET after a reset connection, but not a POST /messages', async () => {
    let drop = true;
    const srv = await serve((_req, res) => {
      if (drop) {
        res.socket?.destroy();
        drop = false;
      } else json(res, 200, ME);
    });
    const { client: c, waits } = client(srv.url);
    await c.people.me();
    assert.equal(srv.seen.length, 2);
    assert.equal(waits.length, 1);

    const srv2 = await serve((_req, res) => {
      res.socket?.destroy();
    });
    const { client: c2, waits: waits2 } = client(srv2.url);
    const err = await c2.messages.create({ roomId: 'r', text: 'x' }).catch((e: unknown) => e);
    assert.ok(err instanceof WebexNetworkError);
    assert.equal(err.code, 'HERALD_NETWORK_ERROR');
    assert.equal(err.path, '/v1/messages');
    assert.equal(srv2.seen.length, 1);
    assert.deepEqual(waits2, []);
    assertNoToken(err);
  });

  it('reports a refused connection as WebexNetworkError', async () => {
    const srv = await serve((_req, res) => json(res, 200, ME));
    const url = srv.url;
    await srv.close();
    const { client: c } = client(url, { retry: { attempts: 2 } });
    const err = await c.people.me().catch((e: unknown) => e);
    assert.ok(err instanceof WebexNetworkError);
    assert.match(err.message, /ECONNREFUSED/);
    assertNoToken(err);
  });
});

describe('errors', () => {
  it('carry status, path, Webex message, descriptions and the tracking id, never the token', async () => {
    const srv = await serve((_req, res) =>
      json(res, 404, {
        message: 'Unable to get message.',
        errors: [{ description: 'Unable to get message.' }],
        trackingId: 'ROUTER_1234',
      }),
    );
    const { client: c } = client(srv.url);
    const err = await c.messages.get('abc').catch((e: unknown) => e);
    assert.ok(err instanceof WebexApiError);
    assert.equal(err.status, 404);
    assert.equal(err.method, 'GET');
    assert.equal(err.path, '/v1/messages/abc');
    assert.equal(err.apiMessage, 'Unable to get message.');
    assert.deepEqual(err.descriptions, ['Unable to get message.']);
    assert.equal(err.trackingId, 'ROUTER_1234');
    assert.ok(err.isPermanent);
    assert.match(err.message, /ROUTER_1234/);
    assert.ok(!err.message.includes('127.0.0.1'), 'the path has no host');
    assertNoToken(err);
  });

  it('take the tracking id from the TrackingID header when the body has none', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(400, { trackingid: 'NA_from_header', 'content-type': 'text/plain' });
      res.end('bad request');
    });
    const { client: c } = client(srv.url);
    const err = await c.rooms
      .list()
      .toArray()
      .catch((e: unknown) => e);
    assert.ok(err instanceof WebexApiError);
    assert.equal(err.trackingId, 'NA_from_header');
    assert.equal(err.apiMessage, undefined);
  });

  it('send bearer auth and one trackingid per call, the same across its retries', async () => {
    const srv = await serve((_req, res, n) => {
      if (n === 1) json(res, 429, {}, { 'retry-after': '1' });
      else json(res, 200, ME);
    });
    const { client: c } = client(srv.url);
    await c.people.me();
    await c.people.me();
    const [a, b, d] = srv.seen;
    assert.equal(a?.headers.authorization, `Bearer ${TOKEN}`);
    assert.match(String(a?.headers.trackingid), /^herald_[0-9a-f-]{36}_\d+$/);
    assert.equal(a?.headers.trackingid, b?.headers.trackingid);
    assert.notEqual(b?.headers.trackingid, d?.headers.trackingid);
  });

  it('validate obviously wrong arguments before sending', async () => {
    const srv = await serve((_req, res) => json(res, 200, {}));
    const { client: c } = client(srv.url);
    await assert.rejects(
      c.messages.create({ roomId: 'r', toPersonId: 'p', text: 'x' }),
      InvalidArgumentError,
    );
    await assert.rejects(c.messages.create({ roomId: 'r' }), InvalidArgumentError);
    await assert.rejects(c.messages.create({ text: 'x' }), InvalidArgumentError);
    await assert.rejects(
      c.messages.create({
        roomId: 'r',
        files: ['https://x/y'],
        file: { data: Buffer.from('a'), filename: 'a' },
      }),
      InvalidArgumentError,
    );
    await assert.rejects(c.rooms.get(''), InvalidArgumentError);
    await assert.rejects(c.memberships.create({ roomId: 'r' }), InvalidArgumentError);
    await assert.rejects(c.messages.edit('m', { roomId: 'r' }), InvalidArgumentError);
    assert.throws(() => c.messages.listDirect({}), InvalidArgumentError);
    assert.throws(() => new WebexClient({ token: '' }), InvalidArgumentError);
    assert.equal(srv.seen.length, 0);
    // Over 7,439 bytes is for the server to judge.
    await c.messages.create({ roomId: 'r', text: 'x'.repeat(8000) });
    assert.equal(srv.seen.length, 1);
  });
});

describe('token containment', () => {
  it('a redirect to another origin does not carry the token (the transport drops Authorization)', async () => {
    const other = await serve((_req, res) => json(res, 200, ME));
    const srv = await serve((_req, res) => {
      res.writeHead(302, { location: `${other.url}/people/me` });
      res.end();
    });
    const { client: c } = client(srv.url);
    await c.people.me();
    assert.equal(srv.seen[0]?.headers.authorization, `Bearer ${TOKEN}`);
    assert.equal(other.seen.length, 1);
    assert.equal(other.seen[0]?.headers.authorization, undefined);
  });
});

describe('abort and timeout', () => {
  it('rejects with AbortedError when the caller aborts a hanging request', async () => {
    const srv = await serve(() => {
      /* never answers */
    });
    const { client: c } = client(srv.url);
    const ac = new AbortController();
    const p = c.people.me({ signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const err = await p.catch((e: unknown) => e);
    assert.ok(err instanceof AbortedError, String(err));
    assert.equal(err.code, 'HERALD_ABORTED');
  });

  it('does not send when the signal is already aborted', async () => {
    const srv = await serve((_req, res) => json(res, 200, ME));
    const { client: c } = client(srv.url);
    await assert.rejects(c.people.me({ signal: AbortSignal.abort() }), AbortedError);
    assert.equal(srv.seen.length, 0);
  });

  it('aborts a retry wait', async () => {
    const srv = await serve((_req, res) => json(res, 429, {}, { 'retry-after': '30' }));
    const ac = new AbortController();
    const c = new WebexClient({
      token: TOKEN,
      baseUrl: srv.url,
      // A sleep that never ends by itself: only the abort can finish the call.
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
          ac.abort();
        }),
    });
    await assert.rejects(c.people.me({ signal: ac.signal }), AbortedError);
    assert.equal(srv.seen.length, 1);
  });

  it('times out an attempt with HERALD_TIMEOUT', async () => {
    const srv = await serve(() => {
      /* never answers */
    });
    const { client: c, waits } = client(srv.url, { retry: { attempts: 2 } });
    const err = await c.people.me({ timeoutMs: 30 }).catch((e: unknown) => e);
    assert.ok(err instanceof WebexNetworkError);
    assert.equal(err.code, 'HERALD_TIMEOUT');
    assert.equal(srv.seen.length, 2, 'a GET that timed out is repeated');
    assert.equal(waits.length, 1);
  });

  it('times out a body that stalls after the headers', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"id":');
    });
    const { client: c } = client(srv.url, { timeoutMs: 30, retry: { attempts: 1 } });
    await assert.rejects(
      c.people.me(),
      (e: unknown) => e instanceof WebexNetworkError && e.code === 'HERALD_TIMEOUT',
    );
  });
});

describe('pagination', () => {
  function pagedServer(total: number, linkStyle: (next: string) => string): Promise<TestServer> {
    return serve((req, res) => {
      const u = new URL(req.url, 'http://x');
      const max = Number(u.searchParams.get('max') ?? 100);
      const from = Number(u.searchParams.get('cursor') ?? 0);
      const items = Array.from({ length: Math.max(0, Math.min(max, total - from)) }, (_, i) => ({
        id: `room-${from + i}`,
        title: `Room ${from + i}`,
      }));
      const headers: Record<string, string> = {};
      if (from + max < total) {
        const host = req.headers.host;
        headers.link = linkStyle(`http://${host}/v1/rooms?max=${max}&cursor=${from + max}`);
      }
      json(res, 200, { items }, headers);
    });
  }

  it('follows rel="next" through 250 items, passing max through', async () => {
    const srv = await pagedServer(250, (next) => `<${next}>; rel="next"`);
    const { client: c } = client(srv.url);
    const ids: string[] = [];
    for await (const room of c.rooms.list({ max: 100 })) ids.push(room.id);
    assert.equal(ids.length, 250);
    assert.equal(new Set(ids).size, 250);
    assert.equal(ids[249], 'room-249');
    assert.equal(srv.seen.length, 3);
    assert.ok(srv.seen.every((r) => r.url.includes('max=100')));
  });

  it('parses several links in one header, rel unquoted, next not first', async () => {
    const srv = await pagedServer(
      250,
      (next) => `<http://elsewhere.example/v1/rooms?first>; rel=first, <${next}>; title="a, b"; rel=next`,
    );
    const { client: c } = client(srv.url);
    const pages = [];
    for await (const page of c.rooms.list({ max: 100 }).pages()) pages.push(page.items.length);
    assert.deepEqual(pages, [100, 100, 50]);
  });

  it('toArray(limit) stops requesting once it has enough', async () => {
    const srv = await pagedServer(250, (next) => `<${next}>; rel="next"`);
    const { client: c } = client(srv.url);
    const some = await c.rooms.list({ max: 100 }).toArray(150);
    assert.equal(some.length, 150);
    assert.equal(srv.seen.length, 2);
    assert.equal((await c.rooms.list({ max: 10 }).first())?.id, 'room-0');
  });

  it('refuses a next URL on another origin, before sending the token there', async () => {
    let foreignHits = 0;
    const foreign = await serve((_req, res) => {
      foreignHits++;
      json(res, 200, { items: [] });
    });
    const srv = await serve((_req, res) =>
      json(res, 200, { items: [{ id: 'a' }] }, { link: `<${foreign.url}/rooms?cursor=1>; rel="next"` }),
    );
    const { client: c } = client(srv.url);
    const got: string[] = [];
    await assert.rejects(async () => {
      for await (const r of c.rooms.list()) got.push(r.id);
    }, UrlNotAllowedError);
    assert.deepEqual(got, ['a']);
    assert.equal(foreignHits, 0);
  });

  it('follows a relative next link and stops on a loop', async () => {
    const srv = await serve((req, res) => {
      if (req.url.includes('cursor=2'))
        json(res, 200, { items: [{ id: 'b' }] }, { link: '</v1/rooms?cursor=2>; rel="next"' });
      else json(res, 200, { items: [{ id: 'a' }] }, { link: '</v1/rooms?cursor=2>; rel="next"' });
    });
    const { client: c } = client(srv.url);
    await assert.rejects(c.rooms.list().toArray(), /loops/);
  });
});

describe('contents', () => {
  const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));

  it('waits out 423 with Retry-After, then returns the bytes and the RFC 5987 name', async () => {
    const srv = await serve((_req, res, n) => {
      if (n <= 2) json(res, 423, { message: 'File is being scanned' }, { 'retry-after': '2' });
      else {
        res.writeHead(200, {
          'content-type': 'application/pdf',
          'content-disposition': `attachment; filename="report.pdf"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf`,
        });
        res.end(bytes);
      }
    });
    const { client: c, waits } = client(srv.url);
    const file = await c.contents.download(`${srv.url}/contents/Y29udGVudA`);
    assert.deepEqual(waits, [2000, 2000]);
    assert.ok(file.data.equals(bytes));
    assert.equal(file.size, bytes.length);
    assert.equal(file.filename, 'résumé.pdf');
    assert.equal(file.contentType, 'application/pdf');
    assert.equal(srv.seen[0]?.url, '/v1/contents/Y29udGVudA');
  });

  it('gives up after maxScanWaitMs with ContentNotReadyError', async () => {
    const srv = await serve((_req, res) =>
      json(res, 423, { message: 'scanning', trackingId: 'NA_9' }, { 'retry-after': '5' }),
    );
    const { client: c, waits } = client(srv.url);
    const err = await c.contents.download('Y29udGVudA', { maxScanWaitMs: 12_000 }).catch((e: unknown) => e);
    assert.ok(err instanceof ContentNotReadyError);
    assert.ok(err instanceof WebexApiError);
    assert.equal(err.status, 423);
    assert.equal(err.trackingId, 'NA_9');
    assert.equal(err.waitedMs, 10_000);
    assert.deepEqual(waits, [5000, 5000]);
    assert.match(err.message, /being scanned/);
  });

  it('turns 410 and 428 into WebexApiError; allowUnscannable adds allow=unscannable', async () => {
    const srv = await serve((req, res) => {
      if (req.url.includes('gone')) json(res, 410, { message: 'infected' });
      else if (!req.url.includes('allow=unscannable')) json(res, 428, { message: 'cannot scan' });
      else {
        res.writeHead(200);
        res.end('zip');
      }
    });
    const { client: c } = client(srv.url);
    await assert.rejects(
      c.contents.download('gone'),
      (e: unknown) => e instanceof WebexApiError && e.status === 410,
    );
    await assert.rejects(
      c.contents.download('enc'),
      (e: unknown) => e instanceof WebexApiError && e.status === 428,
    );
    const file = await c.contents.download('enc', { allowUnscannable: true });
    assert.equal(file.data.toString(), 'zip');
    assert.equal(file.filename, 'enc', 'no Content-Disposition: the last segment');
    assert.equal(file.contentType, 'application/octet-stream');
  });

  it('sends the token only to its own base URL, whatever host the file URL names', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200, { 'content-disposition': 'attachment; filename=plain.txt' });
      res.end('ok');
    });
    const { client: c } = client(srv.url);
    const file = await c.contents.download('https://evil.example/v1/contents/Q09OVEVOVA?x=1');
    assert.equal(srv.seen[0]?.url, '/v1/contents/Q09OVEVOVA');
    assert.equal(file.filename, 'plain.txt');
    await assert.rejects(c.contents.download('https://evil.example/other'), InvalidArgumentError);
  });

  it('refuses a file over maxBytes', async () => {
    const srv = await serve((_req, res) => {
      res.writeHead(200);
      res.end(bytes);
    });
    const { client: c } = client(srv.url);
    await assert.rejects(c.contents.download('x', { maxBytes: 1000 }), /limit|more than/);
  });

  it('reads name, type and size with HEAD', async () => {
    const srv = await serve((req, res) => {
      assert.equal(req.method, 'HEAD');
      res.writeHead(200, {
        'content-type': 'image/png',
        'content-length': '1234',
        'content-disposition': 'attachment; filename="a b.png"',
      });
      res.end();
    });
    const { client: c } = client(srv.url);
    assert.deepEqual(await c.contents.info('x'), {
      filename: 'a b.png',
      contentType: 'image/png',
      size: 1234,
    });
  });
});

describe('bodies', () => {
  it('sends a file as multipart with the fields and a files part', async () => {
    let parsed: FormData | undefined;
    const srv = await serve(async (req, res) => {
      parsed = await new Response(req.body, {
        headers: { 'content-type': String(req.headers['content-type']) },
      }).formData();
      json(res, 200, { id: 'm1', files: ['u'] });
    });
    const { client: c } = client(srv.url);
    const data = Buffer.from([0, 1, 2, 250, 255]);
    await c.messages.create({
      toPersonEmail: 'a@example.com',
      markdown: '**hi**',
      file: { data, filename: 'blob.bin', contentType: 'application/x-test' },
    });
    assert.match(String(srv.seen[0]?.headers['content-type']), /^multipart\/form-data; boundary=/);
    assert.equal(parsed?.get('toPersonEmail'), 'a@example.com');
    assert.equal(parsed?.get('markdown'), '**hi**');
    assert.equal(parsed?.get('roomId'), null);
    const part = parsed?.get('files');
    assert.ok(part instanceof Blob);
    assert.equal((part as File).name, 'blob.bin');
    assert.equal(part.type, 'application/x-test');
    assert.ok(Buffer.from(await part.arrayBuffer()).equals(data));
  });

  it('sends JSON without undefined fields, and DELETE resolves on 204', async () => {
    const srv = await serve((req, res) => {
      if (req.method === 'DELETE') {
        res.writeHead(204);
        res.end();
      } else json(res, 200, { id: 'r1' });
    });
    const { client: c } = client(srv.url);
    await c.rooms.create({ title: 'T', isLocked: undefined });
    assert.equal(srv.seen[0]?.headers['content-type'], 'application/json;charset=utf-8');
    assert.deepEqual(JSON.parse(String(srv.seen[0]?.body)), { title: 'T' });
    assert.equal(await c.rooms.delete('r1'), undefined);
    assert.equal(srv.seen[1]?.url, '/v1/rooms/r1');
  });

  it('encodes query parameters: id lists comma-joined, dates as ISO', async () => {
    const srv = await serve((_req, res) => json(res, 200, { items: [], notFoundIds: ['z'] }));
    const { client: c } = client(srv.url);
    const page = await c.people
      .list({ id: ['a', 'b'], max: 5 })
      .pages()
      .next();
    assert.deepEqual(page.value && 'notFoundIds' in page.value ? page.value.notFoundIds : undefined, ['z']);
    await c.messages
      .list({ roomId: 'r', mentionedPeople: 'me', before: new Date(Date.UTC(2024, 0, 2)), max: 10 })
      .toArray();
    const q0 = new URL(String(srv.seen[0]?.url), 'http://x').searchParams;
    assert.equal(q0.get('id'), 'a,b');
    const q1 = new URL(String(srv.seen[1]?.url), 'http://x').searchParams;
    assert.equal(q1.get('before'), '2024-01-02T00:00:00.000Z');
    assert.equal(q1.get('mentionedPeople'), 'me');
  });
});

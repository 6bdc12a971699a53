/**
 * Adapters with real request objects: node:http (a real server on port 0), Express-style (a real
 * IncomingMessage behind a fake body parser), a real Web `Request`, and Lambda events shaped like API
 * Gateway v1, v2 and function URLs.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import {
  createExpressMiddleware,
  createFetchHandler,
  createLambdaHandler,
  createNodeHandler,
  signWebexBody,
  type WebexEvent,
  WebhookReceiver,
} from '@herald/webex';

const SECRET = 'adapter-secret';
const ROOM = 'Y2lzY29zcGFyazovL3VzL1JPT00vcjE';

function setup(maxBodyBytes = 4096) {
  const events: WebexEvent[] = [];
  const noFetch = async (): Promise<never> => {
    throw new Error('no fetch in adapter tests');
  };
  const receiver = new WebhookReceiver({
    secret: SECRET,
    client: { messages: { get: noFetch }, attachmentActions: { get: noFetch }, people: { me: noFetch } },
    maxBodyBytes,
  });
  receiver.on('event', (e) => {
    events.push(e);
  });
  return { receiver, events };
}

let n = 0;
function delivery(): { body: string; signature: string } {
  const body = JSON.stringify({
    id: 'w',
    resource: 'memberships',
    event: 'created',
    data: { id: `ms-${++n}`, roomId: ROOM, personId: 'p', isModerator: false, note: 'é ünïcode' },
  });
  return { body, signature: signWebexBody(SECRET, body) };
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const post = (body: string | Buffer, headers: Record<string, string> = {}, method = 'POST') =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path: '/webhook', headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const close = () => {
    server.closeAllConnections();
    server.close();
  };
  return { post, close, port };
}

test('node:http adapter: 200 and an event for a signed delivery, whole or in pieces; 401, 413, 405 otherwise', async () => {
  const { receiver, events } = setup(1024);
  const { post, close, port } = await serve(createNodeHandler(receiver));
  try {
    const d = delivery();
    assert.equal((await post(d.body, { 'x-spark-signature': d.signature })).status, 200);
    assert.equal((await post(d.body, { 'x-spark-signature': d.signature })).text, 'duplicate');
    assert.equal((await post(delivery().body, { 'x-spark-signature': d.signature })).status, 401);
    assert.equal((await post(delivery().body)).status, 401);
    const big = 'x'.repeat(2000);
    assert.equal((await post(big, { 'x-spark-signature': signWebexBody(SECRET, big) })).status, 413);
    assert.equal((await post('', {}, 'GET')).status, 405);
    // The body in pieces (chunked, split inside the two bytes of 'é'): verified over the joined bytes.
    const pieces = delivery();
    const bytes = Buffer.from(pieces.body);
    const cut = bytes.indexOf(Buffer.from('é')) + 1;
    const split = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/webhook',
          headers: { 'x-spark-signature': pieces.signature },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.write(bytes.subarray(0, 10));
      req.write(bytes.subarray(10, cut));
      setImmediate(() => req.end(bytes.subarray(cut)));
    });
    assert.equal(split, 200);
    await receiver.idle();
    assert.equal(events.length, 2);
    assert.equal(events[0]?.type, 'membership.created');
  } finally {
    close();
  }
});

test('Express-style middleware: raw body from req.rawBody, a Buffer body, a string body, or the stream', async () => {
  const { receiver, events } = setup();
  const middleware = createExpressMiddleware(receiver);
  type Mode = 'rawBody' | 'buffer' | 'string' | 'stream' | 'parsed';
  let mode: Mode = 'stream';
  const nextErrors: unknown[] = [];
  // A fake body parser in front of the middleware, over a real IncomingMessage.
  const { post, close } = await serve((req, res) => {
    const withBody = req as IncomingMessage & { body?: unknown; rawBody?: unknown };
    const next = (err?: unknown) => {
      nextErrors.push(err);
      res.statusCode = 500;
      res.end();
    };
    if (mode === 'stream') return middleware(withBody, res, next);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      if (mode === 'rawBody') Object.assign(withBody, { rawBody: raw, body: JSON.parse(raw.toString()) });
      if (mode === 'buffer') withBody.body = raw;
      if (mode === 'string') withBody.body = raw.toString('utf8');
      if (mode === 'parsed') withBody.body = JSON.parse(raw.toString());
      middleware(withBody, res, next);
    });
  });
  try {
    for (const m of ['stream', 'rawBody', 'buffer', 'string'] as const) {
      mode = m;
      const d = delivery();
      assert.equal((await post(d.body, { 'x-spark-signature': d.signature })).status, 200, m);
      assert.equal((await post(d.body, { 'x-spark-signature': 'f'.repeat(40) })).status, 401, m);
    }
    mode = 'parsed';
    const d = delivery();
    assert.equal((await post(d.body, { 'x-spark-signature': d.signature })).status, 500);
    assert.match(String(nextErrors[0]), /mount the webhook middleware before express\.json/);
    await receiver.idle();
    assert.equal(events.length, 4);
  } finally {
    close();
  }
});

test('Web-standard handler with real Request objects', async () => {
  const { receiver, events } = setup(1024);
  const handler = createFetchHandler(receiver, { awaitProcessing: true });
  const d = delivery();
  const url = 'https://bot.example/webhook';
  const ok = await handler(
    new Request(url, { method: 'POST', body: d.body, headers: { 'X-Spark-Signature': d.signature } }),
  );
  assert.equal(ok.status, 200);
  assert.equal(events.length, 1, 'awaitProcessing: the event was handled before the answer');
  const forged = await handler(
    new Request(url, {
      method: 'POST',
      body: delivery().body,
      headers: { 'X-Spark-Signature': d.signature },
    }),
  );
  assert.equal(forged.status, 401);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 3; i++) controller.enqueue(new Uint8Array(600));
      controller.close();
    },
  });
  const chunked = await handler(
    new Request(url, { method: 'POST', body: stream, duplex: 'half' } as RequestInit),
  );
  assert.equal(chunked.status, 413, 'limit enforced while streaming, without content-length');
  assert.equal((await handler(new Request(url))).status, 405);
  const bad = '{"resource":';
  assert.equal(
    (
      await handler(
        new Request(url, {
          method: 'POST',
          body: bad,
          headers: { 'x-spark-signature': signWebexBody(SECRET, bad) },
        }),
      )
    ).status,
    400,
  );
});

test('Lambda handler: API Gateway v1 (multi-value headers), v2 and function URLs with base64 bodies', async () => {
  const { receiver, events } = setup(1024);
  const handler = createLambdaHandler(receiver);
  const d1 = delivery();
  const v1 = await handler({
    httpMethod: 'POST',
    headers: { 'X-Spark-Signature': d1.signature, 'Content-Type': 'application/json' },
    multiValueHeaders: { 'X-Spark-Signature': [d1.signature] },
    body: d1.body,
    isBase64Encoded: false,
  });
  assert.equal(v1.statusCode, 200);
  const d2 = delivery();
  const v2 = await handler({
    version: '2.0',
    requestContext: { http: { method: 'POST' } },
    headers: { 'x-spark-signature': d2.signature },
    body: Buffer.from(d2.body).toString('base64'),
    isBase64Encoded: true,
  });
  assert.equal(v2.statusCode, 200, 'signature checked over the decoded bytes');
  assert.equal(events.length, 2, 'processed before returning (Lambda freezes afterwards)');
  const forged = await handler({
    version: '2.0',
    requestContext: { http: { method: 'POST' } },
    headers: { 'x-spark-signature': d2.signature },
    body: `${d2.body} `,
  });
  assert.equal(forged.statusCode, 401);
  const huge = await handler({
    httpMethod: 'POST',
    headers: {},
    body: 'A'.repeat(4000),
    isBase64Encoded: true,
  });
  assert.equal(huge.statusCode, 413);
  const get = await handler({ version: '2.0', requestContext: { http: { method: 'GET' } } });
  assert.equal(get.statusCode, 405);
  const ambiguous = await handler({
    httpMethod: 'POST',
    headers: { 'X-Spark-Signature': d1.signature },
    multiValueHeaders: { 'X-Spark-Signature': [d1.signature, 'f'.repeat(40)] },
    body: delivery().body,
  });
  assert.equal(ambiguous.statusCode, 401, 'two signature headers are refused');
});

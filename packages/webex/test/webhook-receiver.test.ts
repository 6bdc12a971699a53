/** verify.ts and the receiver core, without a network: known answers, order of checks, dedupe, errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AttachmentAction,
  deliveryKey,
  MemoryDedupeStore,
  type Message,
  signWebexBody,
  verifyWebexSignature,
  WebexApiError,
  type WebexEvent,
  type WebhookHydrationClient,
  WebhookReceiver,
} from '@herald/webex';
import fc from 'fast-check';

test('verifyWebexSignature: known answer, rotation, malformed and missing signatures', () => {
  // openssl: printf '{"a":1}' | openssl dgst -sha1 -hmac whsec
  const known = 'bc23879f9fe962fba5c48c0d8144bc846b63977d';
  assert.equal(signWebexBody('whsec', '{"a":1}'), known);
  const rows: Array<[Parameters<typeof verifyWebexSignature>[0], boolean]> = [
    [{ secret: 'whsec', rawBody: '{"a":1}', signature: known }, true],
    [{ secret: 'whsec', rawBody: Buffer.from('{"a":1}'), signature: known }, true],
    [
      { secret: 'whsec', rawBody: new Uint8Array(Buffer.from('{"a":1}')), signature: known.toUpperCase() },
      true,
    ],
    [{ secrets: ['new', 'whsec'], rawBody: '{"a":1}', signature: known }, true],
    [{ secrets: ['new'], rawBody: '{"a":1}', signature: known }, false],
    [{ secret: 'whsec', rawBody: '{"a": 1}', signature: known }, false],
    [{ secret: 'whsec', rawBody: '{"a":1}', signature: undefined }, false],
    [{ secret: 'whsec', rawBody: '{"a":1}', signature: '' }, false],
    [{ secret: 'whsec', rawBody: '{"a":1}', signature: known.slice(0, 38) }, false],
    [{ secret: 'whsec', rawBody: '{"a":1}', signature: `sha1=${known}` }, false],
    [{ secret: 'whsec', rawBody: '{"a":1}', signature: `${known}, ${known}` }, false],
    [{ secret: '', rawBody: '{"a":1}', signature: known }, false],
    [{ rawBody: '{"a":1}', signature: known }, false],
  ];
  for (const [input, expected] of rows)
    assert.equal(verifyWebexSignature(input), expected, JSON.stringify(input));
});

const SECRET = 'test-secret';
const ROOM = 'Y2lzY29zcGFyazovL3VzL1JPT00vcjE';

function message(id: string): Message {
  return {
    id,
    roomId: ROOM,
    roomType: 'group',
    text: 'hi',
    html: '<p>hi</p>',
    personId: 'p',
    personEmail: 'a@b.c',
    created: '2024-05-01T09:00:00.000Z',
  };
}

function fakeClient(overrides: Partial<{ notFoundTimes: number; fail: Error }> = {}) {
  const calls: string[] = [];
  let notFound = overrides.notFoundTimes ?? 0;
  const client: WebhookHydrationClient = {
    messages: {
      async get(id) {
        calls.push(`message ${id}`);
        if (overrides.fail) throw overrides.fail;
        if (notFound-- > 0) throw new WebexApiError({ status: 404, method: 'GET', path: `/messages/${id}` });
        return message(id);
      },
    },
    attachmentActions: {
      async get(id): Promise<AttachmentAction> {
        calls.push(`action ${id}`);
        return {
          id,
          type: 'submit',
          messageId: 'm',
          personId: 'p',
          roomId: ROOM,
          inputs: { a: 1 },
          created: 'c',
        };
      },
    },
  };
  return { client, calls };
}

function envelope(resource: string, event: string, data: Record<string, unknown>): string {
  return JSON.stringify({ id: 'w', name: 'n', resource, event, actorId: 'actor', data });
}

function signed(body: string, secret = SECRET) {
  return { headers: { 'x-spark-signature': signWebexBody(secret, body) }, rawBody: body };
}

test('order of checks: 413 before the signature, 401 before parsing, 400 for malformed JSON', async () => {
  const { client, calls } = fakeClient();
  const receiver = new WebhookReceiver({ secret: SECRET, client, maxBodyBytes: 200 });
  const seen: WebexEvent[] = [];
  receiver.on('event', (e) => {
    seen.push(e);
  });
  const big = 'x'.repeat(201);
  assert.equal((await receiver.handle(signed(big))).status, 413);
  const body = envelope('messages', 'created', { id: 'm1' });
  assert.equal((await receiver.handle({ headers: {}, rawBody: body })).status, 401, 'missing');
  assert.equal((await receiver.handle(signed(body, 'forged'))).status, 401, 'wrong');
  assert.equal(
    (await receiver.handle({ headers: {}, rawBody: '{not json' })).status,
    401,
    'unsigned garbage is 401, not 400',
  );
  assert.equal((await receiver.handle(signed('{not json'))).status, 400);
  assert.equal((await receiver.handle(signed('{"resource":"messages"}'))).status, 400, 'no event/data.id');
  await receiver.idle();
  assert.deepEqual(calls, [], 'nothing was fetched');
  assert.deepEqual(seen, [], 'no handler ran');
});

test('accepted: 200 at once, hydrated asynchronously; duplicates are handled once', async () => {
  const { client, calls } = fakeClient();
  const receiver = new WebhookReceiver({ secret: SECRET, client });
  const seen: WebexEvent[] = [];
  receiver.on('message.created', (e) => {
    seen.push(e);
  });
  const body = envelope('messages', 'created', { id: 'm1' });
  const first = await receiver.handle(signed(body));
  assert.equal(first.status, 200);
  const again = await receiver.handle(signed(body));
  assert.deepEqual([again.status, again.body], [200, 'duplicate']);
  await first.processed;
  assert.equal(seen.length, 1);
  assert.equal(seen[0]?.type, 'message.created');
  assert.equal(seen[0]?.transport, 'webhook');
  assert.equal(seen[0]?.actorId, 'actor');
  assert.deepEqual(calls, ['message m1']);
});

test('edits are distinct events; the same edit twice is one', () => {
  const a = deliveryKey('messages', 'updated', { id: 'm', updated: '1' });
  const b = deliveryKey('messages', 'updated', { id: 'm', updated: '2' });
  assert.notEqual(a, b);
  assert.equal(a, deliveryKey('messages', 'updated', { id: 'm', updated: '1' }));
  assert.equal(deliveryKey('messages', 'created', { id: 'm', x: 1 }), 'messages:created:m');
  const store = new MemoryDedupeStore({ maxKeys: 4 });
  assert.deepEqual(
    ['a', 'b', 'a', 'c', 'd', 'a', 'e', 'f', 'b', 'a'].map((k) => store.seen(k)),
    [false, false, true, false, false, true, false, false, false, true],
    'a is refreshed each time it is seen, so it outlives b',
  );
  assert.ok(store.size <= 4);
});

test('a 404 right after creation is retried with the injected sleep, then succeeds', async () => {
  const { client, calls } = fakeClient({ notFoundTimes: 2 });
  const waits: number[] = [];
  const receiver = new WebhookReceiver({
    secret: SECRET,
    client,
    notFoundRetryDelaysMs: [10, 20, 40],
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  let got: WebexEvent | undefined;
  receiver.on('event', (e) => {
    got = e;
  });
  await (await receiver.handle(signed(envelope('messages', 'created', { id: 'm2' })))).processed;
  assert.deepEqual(waits, [10, 20]);
  assert.equal(calls.length, 3);
  assert.equal(got?.type, 'message.created');
});

test('hydration and handler failures go to onError and error listeners, never escape', async () => {
  const boom = new WebexApiError({ status: 403, method: 'GET', path: '/messages/m3' });
  const { client } = fakeClient({ fail: boom });
  const reported: Array<[unknown, string]> = [];
  const receiver = new WebhookReceiver({
    secret: SECRET,
    client,
    onError: (err, ctx) => reported.push([err, ctx.stage]),
  });
  receiver.on('membership.created', () => {
    throw new Error('handler bug');
  });
  await (await receiver.handle(signed(envelope('messages', 'created', { id: 'm3' })))).processed;
  await (await receiver.handle(signed(envelope('memberships', 'created', { id: 'ms', roomId: ROOM }))))
    .processed;
  assert.deepEqual(
    reported.map(([, stage]) => stage),
    ['hydrate', 'handler'],
  );
  assert.equal(reported[0]?.[0], boom);
});

test('memberships, rooms, deletes and card actions map to the events.ts shapes', async () => {
  const { client } = fakeClient();
  const receiver = new WebhookReceiver({ secret: SECRET, client, now: () => new Date(0) });
  const seen: WebexEvent[] = [];
  receiver.on('event', (e) => {
    seen.push(e);
  });
  const deliveries = [
    envelope('memberships', 'updated', {
      id: 'ms',
      roomId: ROOM,
      personId: 'p',
      isModerator: true,
      roomType: 'group',
    }),
    envelope('rooms', 'created', { id: ROOM, type: 'group', isLocked: false, creatorId: 'p' }),
    envelope('messages', 'deleted', { id: 'm9', roomId: ROOM, roomType: 'direct', personId: 'p' }),
    envelope('attachmentActions', 'created', { id: 'aa' }),
    envelope('meetings', 'started', { id: 'mt' }),
  ];
  for (const body of deliveries) await (await receiver.handle(signed(body))).processed;
  assert.deepEqual(
    seen.map((e) => e.type),
    ['membership.updated', 'room.created', 'message.deleted', 'attachmentAction.created'],
  );
  assert.deepEqual(seen[0]?.data, {
    id: 'ms',
    roomId: ROOM,
    personId: 'p',
    personEmail: undefined,
    personDisplayName: undefined,
    personOrgId: undefined,
    isModerator: true,
    roomType: 'group',
    created: undefined,
  });
  assert.equal(seen[0]?.receivedAt, '1970-01-01T00:00:00.000Z');
  const action = seen[3];
  assert.ok(action?.type === 'attachmentAction.created');
  assert.deepEqual(action.data.inputs, { a: 1 });
});

test('configuration errors name the option and never echo a secret', () => {
  const { client } = fakeClient();
  assert.throws(() => new WebhookReceiver({ client }), /secret/);
  assert.throws(() => new WebhookReceiver({ secret: 'x', client, maxBodyBytes: 0 }), /maxBodyBytes/);
});

test('property: the receiver never throws, whatever the body and headers', async () => {
  const { client } = fakeClient();
  const receiver = new WebhookReceiver({ secret: SECRET, client, maxBodyBytes: 4096, onError: () => {} });
  const headerValue = fc.oneof(fc.string(), fc.array(fc.string(), { maxLength: 3 }), fc.constant(undefined));
  const body = fc.oneof(
    fc.string(),
    fc.uint8Array({ maxLength: 5000 }),
    fc.json().map((j) => j),
    fc.jsonValue().map((v) => JSON.stringify({ resource: 'messages', event: 'created', data: v })),
  );
  await fc.assert(
    fc.asyncProperty(
      body,
      fc.dictionary(fc.string({ maxLength: 20 }), headerValue),
      fc.boolean(),
      async (rawBody, headers, sign) => {
        const h = sign ? { ...headers, 'x-spark-signature': signWebexBody(SECRET, rawBody) } : headers;
        const answer = await receiver.handle({ headers: h, rawBody });
        assert.ok([200, 400, 401, 413, 503].includes(answer.status));
        if (!sign && answer.status === 200) assert.fail('accepted without a signature');
        await answer.processed;
      },
    ),
    { numRuns: 300 },
  );
  // Not even objects that break their own types.
  const weird = await receiver.handle({ headers: null as never, rawBody: 42 as never });
  assert.equal(weird.status, 400);
});

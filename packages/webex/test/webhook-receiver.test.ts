/** verify.ts and the receiver core, without a network: known answers, order of checks, dedupe, errors. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type AttachmentAction,
  deliveryKey,
  encodeId,
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
const BOT = encodeId('PEOPLE', 'b0b0b0b0-0000-4000-8000-000000000001');
const ALICE = encodeId('PEOPLE', 'a11ce000-0000-4000-8000-000000000002');

function message(id: string, personId = 'p'): Message {
  return {
    id,
    roomId: ROOM,
    roomType: 'group',
    text: 'hi',
    html: '<p>hi</p>',
    personId,
    personEmail: 'a@b.c',
    created: '2024-05-01T09:00:00.000Z',
  };
}

interface FakeOptions {
  notFoundTimes: number;
  fail: Error;
  /** `people.me()` rejects this many times before answering `BOT`. */
  meFailures: number;
  /** Sender of a fetched message, by message id (default `'p'`). */
  senders: Record<string, string>;
}

function fakeClient(overrides: Partial<FakeOptions> = {}) {
  const calls: string[] = [];
  let notFound = overrides.notFoundTimes ?? 0;
  let meFailures = overrides.meFailures ?? 0;
  const client: WebhookHydrationClient = {
    people: {
      async me() {
        calls.push('me');
        if (meFailures-- > 0) throw new WebexApiError({ status: 503, method: 'GET', path: '/people/me' });
        return { id: BOT };
      },
    },
    messages: {
      async get(id) {
        calls.push(`message ${id}`);
        if (overrides.fail) throw overrides.fail;
        if (notFound-- > 0) throw new WebexApiError({ status: 404, method: 'GET', path: `/messages/${id}` });
        return message(id, overrides.senders?.[id]);
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
  assert.deepEqual(calls, ['me', 'message m1'], 'own id looked up once, on the first message');
});

test('an asynchronous dedupe store is awaited; a failing one fails open and is reported', async () => {
  const { client } = fakeClient();
  const keys = new Set<string>();
  let broken = false;
  const reported: string[] = [];
  const receiver = new WebhookReceiver({
    secret: SECRET,
    client,
    dedupe: {
      async seen(key) {
        await new Promise((resolve) => setImmediate(resolve));
        if (broken) throw new Error('store down');
        const known = keys.has(key);
        keys.add(key);
        return known;
      },
    },
    onError: (_err, ctx) => reported.push(ctx.stage),
  });
  const seen: string[] = [];
  receiver.on('membership.created', (e) => {
    seen.push(e.data.id);
  });
  const body = envelope('memberships', 'created', { id: 'ms1', roomId: ROOM });
  const answers = [];
  for (const delivery of [body, body]) answers.push(await receiver.handle(signed(delivery)));
  broken = true;
  answers.push(await receiver.handle(signed(body)));
  await Promise.all(answers.map((a) => a.processed));
  assert.deepEqual(
    answers.map((a) => a.body),
    ['ok', 'duplicate', 'ok'],
  );
  assert.deepEqual(seen, ['ms1', 'ms1'], 'the store failed: processed again rather than lost');
  assert.deepEqual(reported, ['dedupe']);
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
  assert.deepEqual(calls, ['me', 'message m2', 'message m2', 'message m2']);
  assert.equal(got?.type, 'message.created');
});

test('ignoreSelfMessages: own messages dropped from the envelope, without a GET; one identity lookup', async () => {
  const { client, calls } = fakeClient({ senders: { m6: BOT } });
  const receiver = new WebhookReceiver({ secret: SECRET, client });
  const seen: string[] = [];
  receiver.on('event', (e) => {
    seen.push(`${e.type} ${e.data.id}`);
  });
  // The first two arrive together: they share one `people.me()`.
  const first = await Promise.all([
    receiver.handle(signed(envelope('messages', 'created', { id: 'm1', personId: BOT }))),
    receiver.handle(signed(envelope('messages', 'created', { id: 'm2', personId: ALICE }))),
  ]);
  await Promise.all(first.map((a) => a.processed));
  const rest = [
    // The same id in another spelling (padded, standard alphabet) is still the bot (ids.ts sameId).
    envelope('messages', 'updated', { id: 'm3', personId: `${BOT.replace(/-/g, '+').replace(/_/g, '/')}==` }),
    envelope('messages', 'deleted', { id: 'm4', roomId: ROOM, roomType: 'group', personId: BOT }),
    envelope('messages', 'deleted', { id: 'm5', roomId: ROOM, roomType: 'group', personId: ALICE }),
    // No `personId` in the envelope: decided after the fetch, from the message's sender.
    envelope('messages', 'created', { id: 'm6' }),
    envelope('memberships', 'created', { id: 'ms', roomId: ROOM, personId: BOT }),
  ];
  for (const body of rest) await (await receiver.handle(signed(body))).processed;
  assert.deepEqual(seen, ['message.created m2', 'message.deleted m5', 'membership.created ms']);
  assert.deepEqual(calls, ['me', 'message m2', 'message m6']);
});

test('ignoreSelfMessages: a failed identity lookup fails closed, is reported, and is retried', async () => {
  const { client, calls } = fakeClient({ meFailures: 1 });
  const reported: Array<[unknown, string, string | undefined]> = [];
  const receiver = new WebhookReceiver({
    secret: SECRET,
    client,
    onError: (err, ctx) => reported.push([err, ctx.stage, ctx.dataId]),
  });
  const seen: string[] = [];
  receiver.on('event', (e) => {
    seen.push(`${e.type} ${e.data.id}`);
  });
  const deliveries = [
    envelope('messages', 'created', { id: 'm1', personId: ALICE }),
    envelope('memberships', 'created', { id: 'ms', roomId: ROOM, personId: ALICE }),
    envelope('messages', 'created', { id: 'm2', personId: ALICE }),
    envelope('messages', 'created', { id: 'm3', personId: BOT }),
  ];
  for (const body of deliveries) await (await receiver.handle(signed(body))).processed;
  assert.deepEqual(
    reported.map(([err, stage, dataId]) => [(err as WebexApiError).status, stage, dataId]),
    [[503, 'identity', 'm1']],
  );
  assert.deepEqual(seen, ['membership.created ms', 'message.created m2']);
  assert.deepEqual(calls, ['me', 'me', 'message m2'], 'm1 never fetched; the failure was not cached');
});

test('ignoreSelfMessages: false emits own messages and never asks who we are', async () => {
  const { client, calls } = fakeClient();
  const receiver = new WebhookReceiver({ secret: SECRET, client, ignoreSelfMessages: false });
  const seen: string[] = [];
  receiver.on('message.created', (e) => {
    seen.push(e.data.id);
  });
  await (await receiver.handle(signed(envelope('messages', 'created', { id: 'm1', personId: BOT }))))
    .processed;
  assert.deepEqual(seen, ['m1']);
  assert.deepEqual(calls, ['message m1']);
  // Without `people.me` the default cannot work: refused at construction, naming the option.
  const { people: _, ...withoutPeople } = client;
  assert.throws(
    () => new WebhookReceiver({ secret: SECRET, client: withoutPeople as WebhookHydrationClient }),
    /client\.people\.me .*ignoreSelfMessages/,
  );
  assert.ok(
    new WebhookReceiver({
      secret: SECRET,
      client: withoutPeople as WebhookHydrationClient,
      ignoreSelfMessages: false,
    }),
  );
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

/**
 * Webhook delivery against a real receiving node:http server on port 0: envelope bytes and key order,
 * signature over the exact bytes, filters, bot visibility, deactivation, retries and faults
 * (docs/protocol.md §7.7, §8, §7.8).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { decodeId, encodeId } from '@herald/webex';
import type { EmulatorContext } from '../src/context.js';
import type { Webhook } from '../src/state/types.js';
import { World } from '../src/state/world.js';
import { installWebhooks, validateWebhookCreate } from '../src/webhooks/index.js';
import { testSeed } from './fixtures.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  json: Record<string, unknown> & { data: Record<string, unknown> };
}

/** A receiver whose answer per request is scripted; records every request. */
class Sink {
  received: Received[] = [];
  /** Status to answer; 'hang' never answers. */
  answer: (r: Received) => number | 'hang' = () => 200;
  server: Server;
  url = '';
  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const r: Received = {
          path: req.url ?? '',
          headers: req.headers,
          raw,
          json: JSON.parse(raw.toString('utf8')),
        };
        this.received.push(r);
        const status = this.answer(r);
        if (status !== 'hang') res.writeHead(status).end();
      });
    });
  }
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  at(path: string): Received[] {
    return this.received.filter((r) => r.path === path);
  }
}

const sink = new Sink();
before(() => sink.start());
const installed: Array<{ stop?: () => unknown }> = [];
after(async () => {
  for (const sub of installed) await sub.stop?.();
  sink.server.closeAllConnections();
  sink.server.close();
});

function setup() {
  let t = Date.UTC(2024, 4, 1, 9, 0, 0);
  const world = new World(() => (t += 1000), { randomSeed: 11 });
  world.loadSeed(testSeed);
  const ctx: EmulatorContext = {
    world,
    baseUrl: () => 'http://127.0.0.1:1',
    wsBaseUrl: () => 'ws://127.0.0.1:1',
    faults: { messageNotFoundForMs: 0 },
    log: () => {},
  };
  const sleeps: number[] = [];
  const webhooks = installWebhooks(ctx, {
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  installed.push(webhooks);
  const id = (key: string) => world.keys.people.get(key) as string;
  const room = (key: string) => world.keys.rooms.get(key) as string;
  const hook = (owner: string, path: string, body: Record<string, unknown>): Webhook => {
    const input = validateWebhookCreate({ name: path, targetUrl: `${sink.url}${path}`, ...body });
    return world.createWebhook(id(owner), input);
  };
  sink.received = [];
  sink.answer = () => 200;
  return {
    world,
    ctx,
    control: webhooks.control,
    subsystem: webhooks,
    id,
    room,
    hook,
    sleeps,
    sink: () => sink.received,
  };
}

const ENVELOPE_KEYS = [
  'id',
  'name',
  'targetUrl',
  'resource',
  'event',
  'orgId',
  'createdBy',
  'appId',
  'ownedBy',
  'status',
  'created',
  'actorId',
  'data',
];

test('a mention of the bot is delivered: compact envelope in order, signed over the exact bytes, no text', async () => {
  const s = setup();
  const wh = s.hook('bot', '/bot', { resource: 'messages', event: 'created', secret: 's3cret' });
  const msg = s.world.postMessage(s.id('alice'), {
    roomId: s.room('general'),
    markdown: `<@personId:${encodeId('PEOPLE', s.id('bot'))}|Herald> status please`,
  });
  await s.control.idle();
  const [got] = s.sink();
  assert.ok(got, 'one delivery');
  assert.deepEqual(Object.keys(got.json), ENVELOPE_KEYS, 'key order of §8.1, no filter key when unset');
  assert.equal(got.raw.toString('utf8'), JSON.stringify(got.json), 'compact JSON');
  const expected = createHmac('sha1', 's3cret').update(got.raw).digest('hex');
  assert.equal(got.headers['x-spark-signature'], expected);
  assert.equal(got.headers['content-type'], 'application/json');
  assert.equal(got.json.id, encodeId('WEBHOOK', wh.id));
  assert.equal(got.json.resource, 'messages');
  assert.equal(got.json.actorId, encodeId('PEOPLE', s.id('alice')));
  assert.equal(got.json.createdBy, encodeId('PEOPLE', s.id('bot')));
  assert.equal(got.json.data.id, encodeId('MESSAGE', msg.id));
  assert.equal(got.json.data.roomType, 'group');
  assert.equal(got.json.data.personEmail, 'alice@acme.example');
  assert.deepEqual(got.json.data.mentionedPeople, [encodeId('PEOPLE', s.id('bot'))]);
  assert.ok(!got.raw.toString().includes('status please'), 'message text never in the body');
  assert.ok(!got.raw.toString().includes('s3cret'), 'secret never in the body');
  const log = s.control.deliveries();
  assert.equal(log.length, 1);
  assert.equal(log[0]?.outcome, 'delivered');
  assert.ok(!JSON.stringify(log).includes('s3cret'));
});

test('bot visibility: a group message without a mention does not reach the bot, but reaches a person', async () => {
  const s = setup();
  s.hook('bot', '/bot', { resource: 'messages', event: 'created' });
  s.hook('bob', '/bob', { resource: 'messages', event: 'created' });
  s.world.postMessage(s.id('alice'), { roomId: s.room('general'), text: 'hello all' });
  s.world.postMessage(s.id('alice'), { roomId: s.room('alice-bot'), text: 'hi bot (1:1)' });
  await s.control.idle();
  assert.equal(sink.at('/bob').length, 1, 'bob sees the group message');
  const bot = sink.at('/bot');
  assert.equal(bot.length, 1, 'the bot sees only the 1:1 message');
  assert.equal(bot[0]?.json.data.roomType, 'direct');
  assert.equal(bot[0]?.headers['x-spark-signature'], undefined, 'no secret, no signature header');
});

test("bot visibility: the bot's own posts reach its webhook, mention or not (§7.8: receivers filter them)", async () => {
  const s = setup();
  s.hook('bot', '/bot', { resource: 'messages', event: 'created' });
  const group = s.world.postMessage(s.id('bot'), { roomId: s.room('general'), text: 'announcement' });
  const direct = s.world.postMessage(s.id('bot'), { roomId: s.room('alice-bot'), text: 'hello alice' });
  await s.control.idle();
  const bot = sink.at('/bot');
  assert.deepEqual(
    bot.map((r) => [decodeId(String(r.json.data.id))?.uuid, r.json.data.personId, r.json.actorId]),
    [group, direct].map((m) => [m.id, encodeId('PEOPLE', s.id('bot')), encodeId('PEOPLE', s.id('bot'))]),
  );
});

test('membership events reach the bot for every member change in its rooms; rooms events too', async () => {
  const s = setup();
  s.hook('bot', '/bot', { resource: 'all', event: 'all', secret: 'x' });
  const dave = s.world.personByEmail('bob@acme.example');
  assert.ok(dave);
  s.world.removeMember(s.id('alice'), s.room('general'), s.id('bob'));
  s.world.addMember(s.id('alice'), s.room('general'), s.id('bob'));
  s.world.updateRoom(s.id('alice'), s.room('general'), { title: 'General (renamed)' });
  const other = s.world.createRoom(s.id('alice'), { title: 'Without the bot' });
  await s.control.idle();
  const kinds = sink.at('/bot').map((r) => `${r.json.resource}:${r.json.event}`);
  assert.deepEqual(kinds, ['memberships:deleted', 'memberships:created', 'rooms:updated']);
  const created = sink.at('/bot')[1]?.json;
  assert.equal(created?.data.personEmail, 'bob@acme.example');
  assert.equal(created?.data.id, encodeId('MEMBERSHIP', `${s.id('bob')}:${s.room('general')}`));
  assert.ok(
    !kinds.includes('rooms:created'),
    `a room without the bot (${other.title}) is not the bot's business`,
  );
  const room = sink.at('/bot')[2]?.json;
  assert.ok(
    !JSON.stringify(room).includes('renamed'),
    'room title is not in webhook data (§8.3 unconfirmed)',
  );
});

test('filters: roomId, mentionedPeople=me, personEmail, hasFiles, memberships isModerator, rooms isLocked', async () => {
  const s = setup();
  const general = encodeId('ROOM', s.room('general'));
  s.hook('alice', '/room', { resource: 'messages', event: 'created', filter: `roomId=${general}` });
  s.hook('bob', '/me', { resource: 'messages', event: 'created', filter: 'mentionedPeople=me' });
  s.hook('alice', '/bob', {
    resource: 'messages',
    event: 'created',
    filter: 'personEmail=bob%40acme.example',
  });
  s.hook('alice', '/files', { resource: 'messages', event: 'created', filter: 'hasFiles=true' });
  s.hook('alice', '/mods', { resource: 'memberships', event: 'all', filter: 'isModerator=true' });
  s.hook('alice', '/locked', { resource: 'rooms', event: 'updated', filter: 'isLocked=true' });
  s.world.postMessage(s.id('bob'), { roomId: s.room('general'), text: 'in general' });
  s.world.postMessage(s.id('alice'), {
    roomId: s.room('news'),
    markdown: `<@personEmail:bob@acme.example|Bob> look`,
    files: [{ name: 'a.txt', contentType: 'text/plain', bytes: Buffer.from('a') }],
  });
  s.world.updateMember(s.id('alice'), s.room('news'), s.id('bob'), true);
  s.world.updateMember(s.id('alice'), s.room('news'), s.id('bob'), false);
  s.world.updateRoom(s.id('alice'), s.room('news'), { title: 'News!' });
  s.world.updateRoom(s.id('alice'), s.room('general'), { title: 'General!' });
  await s.control.idle();
  const texts = (path: string) =>
    sink.at(path).map((r) => decodeId(String(r.json.data.roomId ?? r.json.data.id))?.uuid);
  assert.deepEqual(texts('/room'), [s.room('general')]);
  assert.deepEqual(texts('/me'), [s.room('news')]);
  assert.deepEqual(texts('/bob'), [s.room('general')]);
  assert.deepEqual(texts('/files'), [s.room('news')]);
  assert.deepEqual(
    sink.at('/mods').map((r) => r.json.data.isModerator),
    [true],
  );
  assert.deepEqual(texts('/locked'), [s.room('news')]);
});

test('per-webhook delivery is in commit order', async () => {
  const s = setup();
  s.hook('alice', '/order', { resource: 'messages', event: 'created' });
  const ids = Array.from(
    { length: 8 },
    (_, i) => s.world.postMessage(s.id('bob'), { roomId: s.room('general'), text: `m${i}` }).id,
  );
  await s.control.idle();
  assert.deepEqual(
    sink.at('/order').map((r) => decodeId(String(r.json.data.id))?.uuid),
    ids,
  );
});

test('consecutive failures deactivate the webhook; later events are dropped; PUT active revives it', async () => {
  const s = setup();
  s.control.configure({ deactivateAfter: 3 });
  const wh = s.hook('alice', '/failing', { resource: 'messages', event: 'created' });
  sink.answer = () => 500;
  for (let i = 0; i < 4; i++) s.world.postMessage(s.id('bob'), { roomId: s.room('general'), text: `m${i}` });
  await s.control.idle();
  assert.equal(wh.status, 'inactive');
  assert.equal(sink.at('/failing').length, 3, 'the fourth event is not sent');
  const log = s.control.deliveries();
  assert.deepEqual(
    log.map((r) => r.outcome),
    ['failed', 'failed', 'failed', 'dropped'],
  );
  assert.equal(log[2]?.deactivated, true);
  assert.equal(log[0]?.status, 500);
  assert.equal(s.control.stats().deactivated, 1);
  s.world.postMessage(s.id('bob'), { roomId: s.room('general'), text: 'while inactive' });
  await s.control.idle();
  assert.equal(sink.at('/failing').length, 3);
  sink.answer = () => 204;
  s.world.updateWebhook(s.id('alice'), wh.id, { status: 'active' });
  s.world.postMessage(s.id('bob'), { roomId: s.room('general'), text: 'revived' });
  await s.control.idle();
  assert.equal(sink.at('/failing').length, 4);
  assert.equal(wh.failures, 0);
});

test('timeout counts as a failure; retries back off through the injected sleep', async () => {
  const s = setup();
  s.control.configure({ timeoutMs: 50, retries: 2, backoffMs: 100 });
  s.hook('alice', '/flaky', { resource: 'messages', event: 'created' });
  let calls = 0;
  sink.answer = () => (++calls === 1 ? 'hang' : calls === 2 ? 503 : 200);
  s.world.postMessage(s.id('bob'), { roomId: s.room('general'), text: 'retry me' });
  await s.control.idle();
  const [record] = s.control.deliveries();
  assert.equal(record?.outcome, 'delivered');
  assert.equal(record?.attempts, 3);
  assert.deepEqual(s.sleeps, [100, 200], 'exponential backoff');
  s.control.configure({ retries: 0 });
  sink.answer = () => 'hang';
  s.world.postMessage(s.id('bob'), { roomId: s.room('general'), text: 'lost' });
  await s.control.idle();
  const last = s.control.deliveries().at(-1);
  assert.equal(last?.outcome, 'failed');
  assert.equal(last?.error, 'timeout');
});

test('faults: duplicate, wrong signature, tampered body, reorder within a window', async () => {
  const s = setup();
  s.hook('alice', '/f', { resource: 'messages', event: 'created', secret: 'k' });
  const sigOk = (r: Received) =>
    createHmac('sha1', 'k').update(r.raw).digest('hex') === r.headers['x-spark-signature'];

  s.control.setFaults({ duplicate: true });
  s.world.postMessage(s.id('bob'), { roomId: s.room('general'), text: 'twice' });
  await s.control.idle();
  assert.equal(sink.at('/f').length, 2);
  assert.equal(sink.at('/f')[0]?.raw.toString(), sink.at('/f')[1]?.raw.toString());

  sink.received = [];
  s.control.setFaults({ duplicate: false, wrongSignature: true });
  s.world.postMessage(s.id('bob'), { roomId: s.room('general'), text: 'forged' });
  await s.control.idle();
  assert.equal(sink.at('/f').length, 1);
  assert.equal(sigOk(sink.at('/f')[0] as Received), false);

  sink.received = [];
  s.control.setFaults({ wrongSignature: false, tamperBody: true });
  s.world.postMessage(s.id('bob'), { roomId: s.room('general'), text: 'tampered' });
  await s.control.idle();
  assert.equal(sigOk(sink.at('/f')[0] as Received), false);
  assert.equal(sink.at('/f')[0]?.json.data.tampered, true);

  sink.received = [];
  s.control.setFaults({ tamperBody: false, reorderWindow: 4 });
  const ids = Array.from(
    { length: 8 },
    (_, i) => s.world.postMessage(s.id('bob'), { roomId: s.room('general'), text: `r${i}` }).id,
  );
  await s.control.idle();
  const got = sink.at('/f').map((r) => decodeId(String(r.json.data.id))?.uuid as string);
  assert.ok(sink.at('/f').every(sigOk));
  assert.deepEqual([...got].sort(), [...ids].sort(), 'nothing lost');
  assert.notDeepEqual(got, ids, 'order changed (seeded, deterministic)');
  assert.deepEqual(new Set(got.slice(0, 4)), new Set(ids.slice(0, 4)), 'only within a window of 4');

  s.control.setFaults({ reorderWindow: 0, messageNotFoundForMs: 1500 });
  assert.equal(s.ctx.faults.messageNotFoundForMs, 1500, 'shared with REST through the context');
});

test('a card submission through the control reaches the card sender without inputs', async () => {
  const s = setup();
  s.hook('bot', '/cards', { resource: 'attachmentActions', event: 'created', secret: 'c' });
  s.hook('bot', '/firehose', { resource: 'all', event: 'all', secret: 'c' });
  const card = s.world.postMessage(s.id('bot'), {
    roomId: s.room('general'),
    text: 'vote',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: { type: 'AdaptiveCard', version: '1.3', body: [], actions: [{ type: 'Action.Submit' }] },
      },
    ],
  });
  await s.control.idle();
  sink.received = [];
  const action = s.control.submitCard('bob@acme.example', encodeId('MESSAGE', card.id), {
    choice: 'secret-choice',
  });
  await s.control.idle();
  assert.equal(sink.at('/firehose').length, 0, 'the firehose does not cover attachmentActions (§7.7)');
  const [got] = sink.at('/cards');
  assert.ok(got);
  assert.equal(got.json.data.id, action.id);
  assert.deepEqual(Object.keys(got.json.data), ['id', 'type', 'messageId', 'personId', 'roomId', 'created']);
  assert.ok(!got.raw.toString().includes('secret-choice'), 'inputs are never in the webhook (§7.5)');
  assert.deepEqual(action.inputs, { choice: 'secret-choice' });
});

test('webhook filter key is in the envelope when set, between event and orgId', async () => {
  const s = setup();
  s.hook('bot', '/filtered', {
    resource: 'memberships',
    event: 'created',
    filter: `roomId=${encodeId('ROOM', s.room('general'))}`,
  });
  s.world.removeMember(s.id('alice'), s.room('general'), s.id('bob'));
  s.world.addMember(s.id('alice'), s.room('general'), s.id('bob'));
  await s.control.idle();
  const [got] = sink.at('/filtered');
  assert.deepEqual(Object.keys(got?.json ?? {}).slice(4, 7), ['event', 'filter', 'orgId']);
});

test('reset forgets queued deliveries; stop unsubscribes', async () => {
  const s = setup();
  s.hook('alice', '/r', { resource: 'messages', event: 'created' });
  s.world.postMessage(s.id('bob'), { roomId: s.room('general'), text: 'queued' });
  s.world.reset();
  await s.control.idle();
  assert.equal(s.control.stats().pending, 0);
  await s.subsystem.stop?.();
  assert.equal(s.world.events.listenerCount('change'), 0);
});

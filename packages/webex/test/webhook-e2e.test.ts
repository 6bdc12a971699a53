/**
 * End to end with the emulator: the bot's receiver is a real node:http server on port 0 (node
 * adapter), registered with syncWebhooks; people act in the emulator's world; the receiver verifies,
 * hydrates over REST and emits the typed events of events.ts.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import {
  type RunningEmulator,
  type Seed,
  seedBot,
  seedOrg,
  seedPerson,
  startEmulator,
} from '@herald/emulator';
import {
  cardAttachment,
  createNodeHandler,
  encodeId,
  syncWebhooks,
  WebexClient,
  type WebexEvent,
  type WebhookHydrationClient,
  WebhookReceiver,
} from '@herald/webex';

const seed: Seed = {
  orgs: [seedOrg('acme', 'Acme')],
  people: [
    seedBot('BOT'),
    seedPerson('alice', 'acme', 'Alice', 'ALICE'),
    seedPerson('bob', 'acme', 'Bob', 'BOB'),
  ],
  rooms: [{ key: 'general', title: 'General', creator: 'alice', members: ['bob', 'bot'] }],
};

let now = Date.UTC(2024, 4, 1, 9, 0, 0);
let emu: RunningEmulator;
let server: Server;
let targetUrl: string;
let client: WebexClient;
let receiver: WebhookReceiver;
let secret = 'first-secret';
const events: WebexEvent[] = [];
const errors: unknown[] = [];

const person = (key: string) => emu.world.keys.people.get(key) as string;
const room = (key: string) => emu.world.keys.rooms.get(key) as string;

async function settle(): Promise<void> {
  await emu.control.webhooks.idle();
  await receiver.idle();
}

function makeReceiver(secrets: string[], rest: WebhookHydrationClient = client): WebhookReceiver {
  const r = new WebhookReceiver({
    secrets,
    client: rest,
    // The emulator's clock moves only when the receiver waits: no real sleeping (docs/protocol.md §8.5 fault below).
    sleep: async (ms) => {
      now += ms;
    },
  });
  r.on('event', (e) => {
    events.push(e);
  });
  r.on('error', (err) => {
    errors.push(err);
  });
  return r;
}

before(async () => {
  emu = await startEmulator({ port: 0, seed, clock: () => now });
  client = new WebexClient({ token: 'BOT', baseUrl: `${emu.url}/v1` });
  receiver = makeReceiver([secret]);
  server = createServer((req, res) => createNodeHandler(receiver)(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  targetUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
});

after(async () => {
  server.closeAllConnections();
  server.close();
  await emu.stop();
});

test('syncWebhooks registers the wanted set; a second run creates and deletes nothing', async () => {
  // Someone else's webhook on the same bot (not ours by name): it must survive.
  const foreign = await client.webhooks.create({
    name: 'ops monitor',
    targetUrl: 'http://127.0.0.1:9/ops',
    resource: 'messages',
    event: 'created',
  });
  const first = await syncWebhooks({ client, targetUrl, secret });
  assert.equal(first.summary.create, 2);
  assert.equal(first.summary.leave, 1);
  const second = await syncWebhooks({ client, targetUrl, secret });
  assert.deepEqual(second.summary, { keep: 2, update: 0, create: 0, recreate: 0, delete: 0, leave: 1 });
  const names = (await client.webhooks.list().toArray()).map((w) => w.name).sort();
  assert.deepEqual(names, ['herald:all:all', 'herald:attachmentActions:created', 'ops monitor']);
  assert.ok(second.actions.some((a) => a.kind === 'leave' && a.webhookId === foreign.id));
});

test('a person mentions the bot: message.created with text, html, files and mentions hydrated', async () => {
  events.length = 0;
  const msg = emu.world.postMessage(person('alice'), {
    roomId: room('general'),
    markdown: `<@personId:${encodeId('PEOPLE', person('bot'))}|Herald> please **broadcast**`,
    files: [{ name: 'report.txt', contentType: 'text/plain', bytes: Buffer.from('numbers') }],
  });
  // A group message without a mention: the bot must not hear of it (§7.8).
  emu.world.postMessage(person('bob'), { roomId: room('general'), text: 'not for the bot' });
  await settle();
  const created = events.filter((e) => e.type === 'message.created');
  assert.equal(created.length, 1);
  const [e] = created;
  assert.ok(e && e.type === 'message.created');
  assert.equal(e.transport, 'webhook');
  assert.equal(e.data.id, encodeId('MESSAGE', msg.id));
  assert.equal(e.data.text, 'Herald please broadcast');
  assert.match(e.data.html ?? '', /<spark-mention[^>]*>Herald<\/spark-mention>/);
  assert.equal(e.data.files.length, 1);
  assert.match(e.data.files[0] ?? '', /\/v1\/contents\//);
  assert.deepEqual(e.data.mentionedPeople, [encodeId('PEOPLE', person('bot'))]);
  assert.equal(e.data.personEmail, 'alice@acme.example');
  assert.equal(e.actorId, encodeId('PEOPLE', person('alice')));
  assert.deepEqual(errors, []);
});

test("the bot's own messages are delivered but not emitted (and not fetched); a person's are", async () => {
  // Count the receiver's REST calls: the bot's own posts must cost no GET (decided from the envelope).
  const calls: string[] = [];
  const counting: WebhookHydrationClient = {
    people: {
      me: () => {
        calls.push('me');
        return client.people.me();
      },
    },
    messages: {
      get: (id) => {
        calls.push(`message ${id}`);
        return client.messages.get(id);
      },
    },
    attachmentActions: client.attachmentActions,
  };
  receiver = makeReceiver([secret], counting);
  events.length = 0;
  emu.control.webhooks.clearLog();
  const own = [
    await client.messages.create({
      roomId: encodeId('ROOM', encodeRoomUuid()),
      text: 'the bot talks in 1:1',
    }),
    await client.messages.create({ roomId: encodeId('ROOM', room('general')), text: 'and in a group' }),
  ];
  const alice = emu.world.postMessage(person('alice'), { roomId: encodeRoomUuid(), text: 'alice answers' });
  await settle();
  const delivered = ours()
    .filter((d) => d.resource === 'messages' && d.status === 200)
    .map((d) => d.dataId);
  // §7.8: Webex (and the emulator) report a bot's own posts to it; the receiver drops them.
  assert.deepEqual(delivered, [...own.map((m) => m.id), encodeId('MESSAGE', alice.id)]);
  const created = events.filter((e) => e.type === 'message.created');
  assert.deepEqual(
    created.map((e) => e.data.text),
    ['alice answers'],
  );
  assert.deepEqual(calls, ['me', `message ${encodeId('MESSAGE', alice.id)}`]);
  assert.deepEqual(errors, []);
  receiver = makeReceiver([secret]);
});

test('a card is sent, a person submits it: attachmentAction.created with the inputs', async () => {
  events.length = 0;
  const card = cardAttachment({
    type: 'AdaptiveCard',
    version: '1.3',
    body: [{ type: 'Input.Text', id: 'answer', label: 'Answer' }],
    actions: [{ type: 'Action.Submit', title: 'Send' }],
  });
  const sent = await client.messages.create({
    roomId: encodeId('ROOM', room('general')),
    text: 'Poll',
    attachments: [card],
  });
  await settle();
  events.length = 0;
  emu.control.webhooks.submitCard('bob@acme.example', sent.id, { answer: 'yes' });
  await settle();
  const [e] = events.filter((x) => x.type === 'attachmentAction.created');
  assert.ok(e && e.type === 'attachmentAction.created');
  assert.deepEqual(e.data.inputs, { answer: 'yes' });
  assert.equal(e.data.messageId, sent.id);
  assert.equal(e.data.personId, encodeId('PEOPLE', person('bob')));
});

test('membership and room events arrive, built from the webhook data', async () => {
  events.length = 0;
  emu.world.removeMember(person('alice'), room('general'), person('bob'));
  emu.world.addMember(person('alice'), room('general'), person('bob'), false);
  emu.world.updateRoom(person('alice'), room('general'), { isLocked: true });
  await settle();
  const types = events.map((e) => e.type);
  assert.deepEqual(types.slice(0, 2), ['membership.deleted', 'membership.created']);
  assert.ok(types.includes('room.updated'));
  const added = events[1];
  assert.ok(added?.type === 'membership.created');
  assert.equal(added.data.personEmail, 'bob@acme.example');
  assert.equal(added.data.roomId, encodeId('ROOM', room('general')));
  const updated = events.find((e) => e.type === 'room.updated');
  assert.ok(updated?.type === 'room.updated' && updated.data.isLocked === true);
});

test('a message that answers 404 right after creation is fetched after a bounded retry (§8.5)', async () => {
  events.length = 0;
  emu.control.webhooks.setFaults({ messageNotFoundForMs: 600 });
  emu.world.postMessage(person('alice'), { roomId: encodeRoomUuid(), text: 'direct hello' });
  await settle();
  emu.control.webhooks.setFaults({ messageNotFoundForMs: 0 });
  const e = events.find((x) => x.type === 'message.created');
  assert.ok(e?.type === 'message.created', JSON.stringify(errors.map(String)));
  assert.equal(e.data.text, 'direct hello');
});

test('duplicate deliveries are handled once; secret rotation keeps deliveries verified', async () => {
  events.length = 0;
  emu.control.webhooks.setFaults({ duplicate: true });
  emu.world.postMessage(person('alice'), { roomId: encodeRoomUuid(), text: 'once' });
  await settle();
  emu.control.webhooks.setFaults({ duplicate: false });
  assert.equal(events.filter((e) => e.type === 'message.created').length, 1);
  assert.equal(emu.control.webhooks.deliveries({ resource: 'messages', event: 'created' }).length >= 2, true);

  // Rotation: accept old and new, move the webhooks to the new secret, then drop the old one.
  const next = 'second-secret';
  receiver = makeReceiver([next, secret]);
  const rotated = await syncWebhooks({ client, targetUrl, secret: next });
  assert.equal(rotated.summary.update, 2);
  assert.ok(rotated.actions.every((a) => a.kind !== 'update' || a.changes?.join() === 'secret'));
  secret = next;
  receiver = makeReceiver([next]);
  events.length = 0;
  emu.control.webhooks.clearLog();
  emu.world.postMessage(person('alice'), { roomId: encodeRoomUuid(), text: 'after rotation' });
  await settle();
  assert.equal(events.length, 1);
  assert.deepEqual(
    ours().map((d) => d.status),
    [200],
  );
});

test('forged signatures are refused with 401 and reach no handler', async () => {
  events.length = 0;
  emu.control.webhooks.clearLog();
  emu.control.webhooks.setFaults({ wrongSignature: true });
  emu.world.postMessage(person('alice'), { roomId: encodeRoomUuid(), text: 'forged' });
  await settle();
  emu.control.webhooks.setFaults({ wrongSignature: false });
  assert.deepEqual(events, []);
  assert.deepEqual(
    ours().map((d) => d.status),
    [401],
  );
});

/** Alice's 1:1 room with the bot (created on first use): every message there reaches the bot. */
function encodeRoomUuid(): string {
  return emu.world.directRoom(person('alice'), person('bot'), true)?.id as string;
}

/** Delivery log entries for our receiver (the foreign webhook's target refuses connections). */
function ours() {
  return emu.control.webhooks.deliveries().filter((d) => d.url === targetUrl);
}

test('the HTTP control routes show the delivery log without secrets and set faults', async () => {
  const log = await fetch(`${emu.url}/_emulator/webhooks/deliveries`);
  assert.equal(log.status, 200);
  const text = await log.text();
  assert.ok(JSON.parse(text).items.length > 0);
  assert.ok(!text.includes(secret), 'no secret in the log');
  const set = await fetch(`${emu.url}/_emulator/webhooks/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ reorderWindow: 3 }),
  });
  assert.equal(((await set.json()) as { reorderWindow: number }).reorderWindow, 3);
  emu.control.webhooks.setFaults({ reorderWindow: 0 });
  const bad = await fetch(`${emu.url}/_emulator/webhooks/options`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: '{"timeoutMs":-1}',
  });
  assert.equal(bad.status, 400);
});

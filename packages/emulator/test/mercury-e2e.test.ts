// End to end: the library's WebexMessageHandler against the emulator's U2C/WDM/Mercury/KMS, over real
// sockets on port 0, with real encryption.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AuthError,
  encodeId,
  KmsError,
  type WebexEvent,
  type WebexEventType,
  WebexMessageHandler,
  type WebexMessageHandlerOptions,
} from '@herald/webex';
import { startMercuryHarness } from './mercury-harness.js';

type Harness = Awaited<ReturnType<typeof startMercuryHarness>>;

function handlerFor(h: Harness, extra: Partial<WebexMessageHandlerOptions> = {}) {
  const handler = new WebexMessageHandler({
    token: 'bot-token',
    u2cUrl: `${h.url}/u2c/api/v1`,
    baseUrl: `${h.url}/v1`,
    allowedOrigins: [h.url],
    ...extra,
  });
  const events: WebexEvent[] = [];
  const errors: Error[] = [];
  for (const t of [
    'message.created',
    'message.updated',
    'message.deleted',
    'attachmentAction.created',
    'membership.created',
    'membership.deleted',
    'room.created',
    'room.updated',
  ] as const) {
    handler.on(t, (e: WebexEvent) => events.push(e));
  }
  handler.on('error', (e) => errors.push(e));
  return { handler, events, errors };
}

async function until<T>(f: () => T | undefined, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ofType = (events: WebexEvent[], type: WebexEventType) => events.filter((e) => e.type === type);

describe('Mercury end to end', () => {
  let h: Harness;
  before(async () => {
    h = await startMercuryHarness();
  });
  after(async () => {
    await h.stop();
  });

  it('delivers decrypted messages: 1-1, group mention; not a group message without mention', async () => {
    const { handler, events, errors } = handlerFor(h);
    await handler.connect();
    try {
      const alice = h.id('alice');
      const bot = h.id('bot');
      h.world.postMessage(alice, { roomId: h.id('dm'), text: 'hello bot', markdown: 'hello **bot**' });
      h.world.postMessage(alice, { roomId: h.id('team'), text: 'no mention here' });
      h.world.postMessage(alice, { roomId: h.id('team'), markdown: `hi <@personId:${bot}|Herald>, report` });
      await until(() => ofType(events, 'message.created').length >= 2 || undefined);
      await new Promise((r) => setTimeout(r, 100));
      const created = ofType(events, 'message.created').map((e) =>
        e.type === 'message.created' ? e.data : undefined,
      );
      assert.equal(created.length, 2, 'the group message without mention is not received');
      const [dm, group] = created;
      assert.equal(dm?.text, 'hello bot');
      assert.equal(dm?.html, '<p>hello <strong>bot</strong></p>');
      assert.equal(dm?.roomType, 'direct');
      assert.equal(dm?.roomId, encodeId('ROOM', h.id('dm')));
      assert.equal(dm?.personId, encodeId('PEOPLE', alice));
      assert.equal(dm?.personEmail, 'alice@acme.test');
      const stored = [...h.world.messages.values()].at(-1);
      assert.equal(group?.text, stored?.text);
      assert.equal(group?.html, stored?.html);
      assert.deepEqual(group?.mentionedPeople, [encodeId('PEOPLE', bot)]);
      assert.equal(group?.roomType, 'group');
      assert.deepEqual(errors, []);
    } finally {
      await handler.disconnect();
    }
  });

  it('delivers edits, deletes, card submissions and file shares; filters the bot’s own messages', async () => {
    const { handler, events, errors } = handlerFor(h);
    await handler.connect();
    try {
      const alice = h.id('alice');
      const dm = h.id('dm');
      const m = h.world.postMessage(alice, { roomId: dm, text: 'first' });
      h.world.editMessage(alice, m.id, { text: 'second' });
      h.world.deleteMessage(alice, m.id);
      const card = h.world.postMessage(h.id('bot'), {
        roomId: dm,
        text: 'a card',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            content: { type: 'AdaptiveCard', version: '1.3', body: [] },
          },
        ],
      });
      h.world.submitCard(alice, card.id, { choice: 'yes', n: 3 });
      h.world.postMessage(alice, {
        roomId: dm,
        text: 'a file',
        files: [{ name: 'a.txt', contentType: 'text/plain', bytes: Buffer.from('file bytes') }],
      });
      await until(
        () =>
          (ofType(events, 'message.created').length >= 2 &&
            ofType(events, 'attachmentAction.created').length >= 1) ||
          undefined,
      );
      const updated = ofType(events, 'message.updated')[0];
      assert.equal(updated?.type === 'message.updated' && updated.data.text, 'second');
      assert.equal(updated?.data.id, encodeId('MESSAGE', m.id));
      const deleted = ofType(events, 'message.deleted')[0];
      assert.equal(deleted?.data.id, encodeId('MESSAGE', m.id));
      const action = ofType(events, 'attachmentAction.created')[0];
      assert.deepEqual(action?.type === 'attachmentAction.created' && action.data.inputs, {
        choice: 'yes',
        n: 3,
      });
      assert.equal(
        action?.type === 'attachmentAction.created' && action.data.messageId,
        encodeId('MESSAGE', card.id),
      );
      const created = ofType(events, 'message.created');
      assert.ok(
        !created.some((e) => e.type === 'message.created' && e.data.text === 'a card'),
        'own message filtered',
      );
      const file = created.find((e) => e.type === 'message.created' && e.data.text === 'a file');
      assert.ok(file?.type === 'message.created');
      assert.equal(file.data.files.length, 1);
      const res = await fetch(file.data.files[0] as string, {
        headers: { authorization: 'Bearer bot-token' },
      });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'file bytes');
      assert.deepEqual(errors, []);
    } finally {
      await handler.disconnect();
    }
  });

  it('reconnects after a dropped socket and loses or doubles nothing sent during the gap', async () => {
    const { handler, events } = handlerFor(h, { reconnectBackoffMax: 200 });
    await handler.connect();
    try {
      const alice = h.id('alice');
      const dm = h.id('dm');
      const sent: string[] = [];
      const post = (t: string) =>
        sent.push(encodeId('MESSAGE', h.world.postMessage(alice, { roomId: dm, text: t }).id));
      post('before-1');
      post('before-2');
      await until(() => ofType(events, 'message.created').length >= 2 || undefined);
      let reconnected = false;
      handler.on('connected', ({ reconnect }) => {
        reconnected ||= reconnect;
      });
      assert.equal(h.control.dropSockets('bot'), 1);
      post('gap-1');
      post('gap-2');
      await until(() => reconnected || undefined);
      post('after-1');
      await until(() => ofType(events, 'message.created').length >= 5 || undefined);
      await new Promise((r) => setTimeout(r, 200));
      const ids = ofType(events, 'message.created').map((e) => e.data.id);
      assert.deepEqual([...ids].sort(), [...sent].sort(), 'each message exactly once');
    } finally {
      await handler.disconnect();
    }
  });

  it('KMS refusal: an error event and no ciphertext passed on as text', async () => {
    const { handler, events, errors } = handlerFor(h);
    await handler.connect();
    try {
      h.control.kmsRefuse(403);
      // A room whose key the handler has not fetched yet.
      const room = h.world.createRoom(h.id('alice'), { title: 'Secret' });
      h.world.addMember(h.id('alice'), room.id, h.id('bot'));
      h.world.postMessage(h.id('alice'), { roomId: room.id, markdown: `<@personId:${h.id('bot')}> secret` });
      await until(() => errors.find((e) => e instanceof KmsError));
      assert.ok(
        !ofType(events, 'message.created').some(
          (e) => e.type === 'message.created' && e.data.roomId === encodeId('ROOM', room.id),
        ),
      );
      assert.equal((errors.find((e) => e instanceof KmsError) as KmsError).status, 403);
    } finally {
      h.control.kmsRefuse(undefined);
      await handler.disconnect();
    }
  });

  it('two connects in a row leave one device registered', async () => {
    const a = handlerFor(h, { unregisterOnDisconnect: false });
    await a.handler.connect();
    await a.handler.disconnect();
    const b = handlerFor(h, { unregisterOnDisconnect: false });
    await b.handler.connect();
    assert.equal(h.control.devices('bot').length, 1);
    await b.handler.disconnect();
    assert.equal(h.control.devices('bot').length, 1, 'kept for the next run');
    const c = handlerFor(h);
    await c.handler.connect();
    await c.handler.disconnect();
    assert.equal(h.control.devices('bot').length, 0, 'unregistered on disconnect');
  });

  it('a revoked token closes with 4401: fatal AuthError, no reconnect loop', async () => {
    const { handler, errors } = handlerFor(h);
    let reconnecting = 0;
    let reason: string | undefined;
    handler.on('reconnecting', () => reconnecting++);
    handler.on('disconnected', (d) => {
      reason = d.reason;
    });
    await handler.connect();
    h.control.revokeToken('bot-token');
    await until(() => reason);
    assert.equal(reason, 'auth-failed');
    assert.ok(errors.some((e) => e instanceof AuthError));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(reconnecting, 0);
    h.world.reset();
  });
});

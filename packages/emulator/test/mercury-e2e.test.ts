// End to end: the library's WebexMessageHandler against the emulator's U2C/WDM/Mercury/KMS, over real
// sockets on port 0, with real encryption.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunningEmulator } from '@herald/emulator';
import {
  AuthError,
  encodeId,
  KmsError,
  type Logger,
  WebexClient,
  type WebexEvent,
  type WebexEventType,
  WebexMessageHandler,
  type WebexMessageHandlerOptions,
} from '@herald/webex';
import { until } from '../../../harness/wait.js';
import { mercurySuite } from './helpers.js';

function handlerFor(emu: RunningEmulator, extra: Partial<WebexMessageHandlerOptions> = {}) {
  const handler = new WebexMessageHandler({
    token: 'bot-token',
    u2cUrl: `${emu.url}/u2c/api/v1`,
    baseUrl: `${emu.url}/v1`,
    allowedOrigins: [emu.url],
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

/** `body` with a handler connected to `emu`, disconnected after it whatever happens. */
async function connected(
  emu: RunningEmulator,
  extra: Partial<WebexMessageHandlerOptions>,
  body: (h: ReturnType<typeof handlerFor>) => Promise<void>,
): Promise<void> {
  const h = handlerFor(emu, extra);
  await h.handler.connect();
  try {
    await body(h);
  } finally {
    await h.handler.disconnect();
  }
}

const ofType = (events: WebexEvent[], type: WebexEventType) => events.filter((e) => e.type === type);

describe('Mercury end to end', () => {
  const suite = mercurySuite();
  const { id } = suite;

  it('delivers decrypted messages: 1-1, group mention; not a group message without mention', async () => {
    await connected(suite.emu, {}, async ({ events, errors }) => {
      const alice = id('alice');
      const bot = id('bot');
      // Alice's own REST calls, with her token, through the real /v1.
      const rest = new WebexClient({ token: 'alice-token', baseUrl: `${suite.emu.url}/v1` });
      await rest.messages.create({
        roomId: encodeId('ROOM', id('dm')),
        text: 'hello bot',
        markdown: 'hello **bot**',
      });
      await rest.messages.create({ roomId: encodeId('ROOM', id('team')), text: 'no mention here' });
      await rest.messages.create({
        roomId: encodeId('ROOM', id('team')),
        markdown: `hi <@personId:${encodeId('PEOPLE', bot)}|Herald>, report`,
      });
      await until('two messages', () => ofType(events, 'message.created').length >= 2 || undefined);
      await new Promise((r) => setTimeout(r, 100));
      const created = ofType(events, 'message.created').map((e) =>
        e.type === 'message.created' ? e.data : undefined,
      );
      assert.equal(created.length, 2, 'the group message without mention is not received');
      const [dm, group] = created;
      assert.equal(dm?.text, 'hello bot');
      assert.equal(dm?.html, '<p>hello <strong>bot</strong></p>');
      assert.equal(dm?.roomType, 'direct');
      assert.equal(dm?.roomId, encodeId('ROOM', id('dm')));
      assert.equal(dm?.personId, encodeId('PEOPLE', alice));
      assert.equal(dm?.personEmail, 'alice@acme.test');
      const stored = [...suite.emu.world.messages.values()].at(-1);
      assert.equal(group?.text, stored?.text);
      assert.equal(group?.html, stored?.html);
      assert.deepEqual(group?.mentionedPeople, [encodeId('PEOPLE', bot)]);
      assert.equal(group?.roomType, 'group');
      assert.deepEqual(errors, []);
    });
  });

  it('delivers edits, deletes, card submissions and file shares; filters the bot’s own messages', async () => {
    await connected(suite.emu, {}, async ({ events, errors }) => {
      const alice = id('alice');
      const dm = id('dm');
      const m = suite.emu.world.postMessage(alice, { roomId: dm, text: 'first' });
      suite.emu.world.editMessage(alice, m.id, { text: 'second' });
      suite.emu.world.deleteMessage(alice, m.id);
      const card = suite.emu.world.postMessage(id('bot'), {
        roomId: dm,
        text: 'a card',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            content: { type: 'AdaptiveCard', version: '1.3', body: [] },
          },
        ],
      });
      suite.emu.world.submitCard(alice, card.id, { choice: 'yes', n: 3 });
      suite.emu.world.postMessage(alice, {
        roomId: dm,
        text: 'a file',
        files: [{ name: 'a.txt', contentType: 'text/plain', bytes: Buffer.from('file bytes') }],
      });
      await until(
        'the edits, deletes and actions',
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
      // The library exposes REST content URLs; the bot's REST client downloads them.
      const url = file.data.files[0] as string;
      assert.ok(url.startsWith(`${suite.emu.url}/v1/contents/`), url);
      const bot = new WebexClient({ token: 'bot-token', baseUrl: `${suite.emu.url}/v1` });
      const got = await bot.contents.download(url);
      assert.equal(got.data.toString('utf8'), 'file bytes');
      assert.equal(got.filename, 'a.txt');
      assert.equal(got.contentType, 'text/plain');
      assert.deepEqual(errors, []);
    });
  });

  it('reconnects after a dropped socket and loses or doubles nothing sent during the gap', async () => {
    await connected(suite.emu, { reconnectBackoffMax: 200 }, async ({ handler, events }) => {
      const alice = id('alice');
      const dm = id('dm');
      const sent: string[] = [];
      const post = (t: string) =>
        sent.push(encodeId('MESSAGE', suite.emu.world.postMessage(alice, { roomId: dm, text: t }).id));
      post('before-1');
      post('before-2');
      await until('two messages', () => ofType(events, 'message.created').length >= 2 || undefined);
      let reconnected = false;
      handler.on('connected', ({ reconnect }) => {
        reconnected ||= reconnect;
      });
      assert.equal(suite.emu.control.mercury.dropSockets('bot'), 1);
      post('gap-1');
      post('gap-2');
      await until('the reconnect', () => reconnected || undefined);
      post('after-1');
      await until('five messages', () => ofType(events, 'message.created').length >= 5 || undefined);
      await new Promise((r) => setTimeout(r, 200));
      const ids = ofType(events, 'message.created').map((e) => e.data.id);
      assert.deepEqual([...ids].sort(), [...sent].sort(), 'each message exactly once');
    });
  });

  it('KMS refusal: an error event and no ciphertext passed on as text', async () => {
    const { handler, events, errors } = handlerFor(suite.emu);
    await handler.connect();
    try {
      suite.emu.control.mercury.kmsRefuse(403);
      // A room whose key the handler has not fetched yet.
      const room = suite.emu.world.createRoom(id('alice'), { title: 'Secret' });
      suite.emu.world.addMember(id('alice'), room.id, id('bot'));
      suite.emu.world.postMessage(id('alice'), {
        roomId: room.id,
        markdown: `<@personId:${id('bot')}> secret`,
      });
      await until('the KMS error', () => errors.find((e) => e instanceof KmsError));
      assert.ok(
        !ofType(events, 'message.created').some(
          (e) => e.type === 'message.created' && e.data.roomId === encodeId('ROOM', room.id),
        ),
      );
      assert.equal((errors.find((e) => e instanceof KmsError) as KmsError).status, 403);
    } finally {
      suite.emu.control.mercury.kmsRefuse(undefined);
      await handler.disconnect();
    }
  });

  it('two connects in a row leave one device registered', async () => {
    const a = handlerFor(suite.emu, { unregisterOnDisconnect: false });
    await a.handler.connect();
    await a.handler.disconnect();
    const b = handlerFor(suite.emu, { unregisterOnDisconnect: false });
    await b.handler.connect();
    assert.equal(suite.emu.control.mercury.devices('bot').length, 1);
    await b.handler.disconnect();
    assert.equal(suite.emu.control.mercury.devices('bot').length, 1, 'kept for the next run');
    const c = handlerFor(suite.emu);
    await c.handler.connect();
    await c.handler.disconnect();
    assert.equal(suite.emu.control.mercury.devices('bot').length, 0, 'unregistered on disconnect');
  });

  it('a revoked token closes with 4401: fatal AuthError, no reconnect loop', async () => {
    const { handler, errors } = handlerFor(suite.emu);
    let reconnecting = 0;
    let reason: string | undefined;
    handler.on('reconnecting', () => reconnecting++);
    handler.on('disconnected', (d) => {
      reason = d.reason;
    });
    await handler.connect();
    suite.emu.control.mercury.revokeToken('bot-token');
    await until('the disconnect reason', () => reason);
    assert.equal(reason, 'auth-failed');
    assert.ok(errors.some((e) => e instanceof AuthError));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(reconnecting, 0);
    suite.emu.world.reset();
  });
  it('an event that arrives while connect() is still running is delivered exactly once', async () => {
    const { handler, events, errors } = handlerFor(suite.emu);
    const alice = id('alice');
    const dm = id('dm');
    const rest = new WebexClient({ token: 'alice-token', baseUrl: `${suite.emu.url}/v1` });
    const posted: Array<Promise<unknown>> = [];
    // The moment the bot's socket is authorized — the handler is still in connect(), its KMS handshake
    // not started — one message is committed at once (its frame follows the readiness frame, often in
    // the same TCP read) and one goes through Alice's REST call (it lands during the handshake).
    const off = suite.emu.control.mercury.onAuthorized(({ personId }) => {
      if (personId !== id('bot')) return;
      off();
      suite.emu.world.postMessage(alice, { roomId: dm, text: 'during connect: world' });
      posted.push(rest.messages.create({ roomId: encodeId('ROOM', dm), text: 'during connect: rest' }));
    });
    let connectedFirst = false;
    handler.on('connected', () => {
      connectedFirst = ofType(events, 'message.created').length === 0;
    });
    await handler.connect();
    try {
      await Promise.all(posted);
      assert.equal(posted.length, 1, 'the emulator reported the authorization');
      // A marker after connect: Mercury keeps order, so once it is here, any duplicate would be too.
      suite.emu.world.postMessage(alice, { roomId: dm, text: 'marker' });
      await until(
        'the message sent while connecting',
        () =>
          ofType(events, 'message.created').some(
            (e) => e.type === 'message.created' && e.data.text === 'marker',
          ) || undefined,
      );
      const texts = ofType(events, 'message.created').map((e) =>
        e.type === 'message.created' ? e.data.text : '',
      );
      assert.deepEqual(texts.filter((t) => t.startsWith('during connect')).sort(), [
        'during connect: rest',
        'during connect: world',
      ]);
      assert.equal(texts.length, 3);
      assert.ok(connectedFirst, "events come after 'connected'");
      assert.deepEqual(errors, []);
    } finally {
      off();
      await handler.disconnect();
    }
  });

  it('a sequenceNumber jump logs a warning and recovers the lost message through REST, once', async () => {
    const warnings: Array<{ fields: Record<string, unknown>; msg: string }> = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn(fields, msg) {
        warnings.push({ fields, msg });
      },
      error() {},
    };
    await connected(suite.emu, { logger }, async ({ events, errors }) => {
      const alice = id('alice');
      const dm = id('dm');
      const texts = () =>
        ofType(events, 'message.created').map((e) => (e.type === 'message.created' ? e.data.text : ''));
      suite.emu.world.postMessage(alice, { roomId: dm, text: 'seq-1' });
      await until('seq-1', () => texts().includes('seq-1') || undefined);
      suite.emu.control.mercury.loseActivities('bot', 1);
      suite.emu.world.postMessage(alice, { roomId: dm, text: 'seq-lost' });
      suite.emu.world.postMessage(alice, { roomId: dm, text: 'seq-3' });
      await until('seq-lost, recovered through REST', () => texts().includes('seq-lost') || undefined);
      suite.emu.world.postMessage(alice, { roomId: dm, text: 'seq-4' });
      await until('seq-4', () => texts().includes('seq-4') || undefined);
      const gap = warnings.find((w) => /sequenceNumber jumped/.test(w.msg));
      assert.ok(gap, 'a warning names the jump');
      assert.equal((gap.fields.received as number) - (gap.fields.expected as number), 1);
      assert.deepEqual(
        texts()
          .filter((t) => t.startsWith('seq-'))
          .sort(),
        ['seq-1', 'seq-3', 'seq-4', 'seq-lost'],
        'each message once, the lost one recovered',
      );
      assert.deepEqual(errors, []);
    });
  });
});

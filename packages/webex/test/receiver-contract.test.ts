/**
 * The one `Receiver` contract, the same test over both receivers: application code that throws,
 * rejects or never settles, in `on(...)` listeners and in the sink, is reported as a `HandlerError`
 * (the event and the cause) on the receiver's error channel; the process sees no unhandled rejection
 * and no uncaught exception; and the receiver goes on, in order, with the next event of the space.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RunningEmulator, startEmulator } from '@herald/emulator';
import {
  HandlerError,
  type Receiver,
  signWebexBody,
  WebexClient,
  type WebexEvent,
  WebexMessageHandler,
  WebhookReceiver,
} from '@herald/webex';
import { until } from '../../../harness/wait.js';
import { directSeed } from './seed.js';

const seed = directSeed('C_BOT', 'ann', 'Ann', 'C_ANN');

const TEXTS = [
  'listener-throws',
  'listener-rejects',
  'listener-hangs',
  'sink-throws',
  'sink-rejects',
  'sink-hangs',
  'fine',
];
const HANDLER_TIMEOUT = 300;

/** What a misbehaving piece of application code does with a message, by its text. */
function misbehave(where: 'listener' | 'sink', event: WebexEvent): unknown {
  if (event.type !== 'message.created') return undefined;
  const text = event.data.text ?? '';
  if (text === `${where}-throws`) throw new Error(`${where} threw`);
  if (text === `${where}-rejects`) return Promise.reject(new Error(`${where} rejected`));
  if (text === `${where}-hangs`) return new Promise(() => {});
  return undefined;
}

let emu: RunningEmulator;
const trouble: unknown[] = [];
const onRejection = (reason: unknown) => trouble.push(reason);
const onException = (err: unknown) => trouble.push(err);

before(async () => {
  emu = await startEmulator({ port: 0, seed });
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
});
after(async () => {
  process.off('unhandledRejection', onRejection);
  process.off('uncaughtException', onException);
  await emu.stop();
});

interface Harness {
  receiver: Receiver;
  /** Listen with `on(...)`, the listener API kept beside the sink. */
  listen(listener: (event: WebexEvent) => unknown): void;
  errors: unknown[];
  /** Make Ann's message `text` reach the receiver. */
  deliver(text: string): Promise<void>;
  /**
   * Events of one space reach the sink in order: Mercury's promise. Webhook deliveries are
   * independent HTTP requests, answered at once and processed side by side.
   */
  ordered: boolean;
}

function mercuryHarness(): Harness {
  const handler = new WebexMessageHandler({
    token: 'C_BOT',
    u2cUrl: `${emu.url}/u2c/api/v1`,
    baseUrl: `${emu.url}/v1`,
    allowedOrigins: [emu.url],
    handlerTimeout: HANDLER_TIMEOUT,
  });
  const errors: unknown[] = [];
  handler.on('error', (err) => errors.push(err));
  // A lifecycle listener that fails asynchronously is reported too, not left unhandled.
  handler.on('connected', async () => {
    throw new Error('connected listener rejected');
  });
  return {
    receiver: handler,
    listen: (listener) => handler.on('message.created', listener as never),
    errors,
    ordered: true,
    deliver: async (text) => {
      emu.control.post('ann', { room: 'ann-bot', text });
    },
  };
}

function webhookHarness(): Harness {
  const secret = 'contract-secret';
  const client = new WebexClient({ token: 'C_BOT', baseUrl: `${emu.url}/v1` });
  const receiver = new WebhookReceiver({ secret, client, handlerTimeout: HANDLER_TIMEOUT });
  const errors: unknown[] = [];
  receiver.on('error', (err) => errors.push(err));
  let queue = Promise.resolve();
  return {
    receiver,
    listen: (listener) => receiver.on('message.created', listener as never),
    errors,
    ordered: false,
    // One signed delivery per message, as Webex sends it.
    deliver: (text) => {
      queue = queue.then(async () => {
        const m = emu.control.post('ann', { room: 'ann-bot', text }) as {
          id: string;
          roomId: string;
          personId: string;
        };
        const body = JSON.stringify({
          id: 'wh',
          resource: 'messages',
          event: 'created',
          data: { id: m.id, roomId: m.roomId, personId: m.personId, roomType: 'direct' },
        });
        const answer = await receiver.handle({
          headers: { 'x-spark-signature': signWebexBody(secret, body) },
          rawBody: body,
        });
        assert.equal(answer.status, 200);
      });
      return queue;
    },
  };
}

describe('Receiver contract', () => {
  for (const [name, make] of [
    ['mercury (WebexMessageHandler)', mercuryHarness],
    ['webhook (WebhookReceiver)', webhookHarness],
  ] as const) {
    it(`${name}: throwing, rejecting and hanging listeners and sinks are HandlerErrors; the next event still arrives`, async () => {
      const h = make();
      const sunk: string[] = [];
      h.listen((event) => misbehave('listener', event));
      await h.receiver.start(async (event) => {
        if (event.type === 'message.created') sunk.push(event.data.text ?? '');
        return misbehave('sink', event) as Promise<void> | undefined;
      });
      try {
        assert.equal(h.receiver.status().state, 'up');
        for (const text of TEXTS) await h.deliver(text);
        await until('the last message at the sink', () => sunk.includes('fine'));
        await until('every message at the sink', () => sunk.length >= TEXTS.length);
        // The sink saw every message, hanging ones included; over Mercury in the order they were sent.
        assert.deepEqual(h.ordered ? sunk : [...sunk].sort(), h.ordered ? TEXTS : [...TEXTS].sort());
        await until(
          'six handler errors',
          () => h.errors.filter((e) => e instanceof HandlerError).length >= 6,
        );
        const handlerErrors = h.errors.filter((e): e is HandlerError => e instanceof HandlerError);
        const byText = new Map(
          handlerErrors.map((e) => [e.event.type === 'message.created' ? e.event.data.text : '', e]),
        );
        for (const text of TEXTS.slice(0, 6)) {
          const e = byText.get(text);
          assert.ok(e, `a HandlerError for ${text}`);
          assert.equal(e.code, 'HERALD_HANDLER');
          if (text.endsWith('hangs')) assert.match(e.message, /did not settle within 300 ms/);
          else assert.match(String((e.cause as Error).message), /threw|rejected/);
        }
        assert.equal(byText.has('fine'), false);
      } finally {
        await h.receiver.stop();
      }
      assert.equal(h.receiver.status().state, 'stopped');
      // Let any stray rejection surface before counting.
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(trouble, [], 'no unhandled rejection, no uncaught exception');
    });
  }

  it('mercury: an edit never overtakes its message, however long the message takes to handle', async () => {
    const h = mercuryHarness();
    const seen: string[] = [];
    await h.receiver.start(async (event) => {
      if (event.type === 'message.created' && event.data.text === 'v1') {
        await new Promise((r) => setTimeout(r, 200));
        seen.push('created');
      }
      if (event.type === 'message.updated') seen.push('updated');
    });
    try {
      const m = emu.control.post('ann', { room: 'ann-bot', text: 'v1' }) as { id: string };
      await until('the message in the sink', () => h.receiver.status().inFlight > 0);
      emu.control.edit('ann', m.id, { text: 'v2' });
      await until('both events', () => seen.length === 2);
      assert.deepEqual(seen, ['created', 'updated']);
    } finally {
      await h.receiver.stop();
    }
  });

  it('mercury: a listener that fails on a lifecycle event is reported, not thrown', async () => {
    const h = mercuryHarness();
    await h.receiver.start(() => {});
    try {
      await until('the connected listener error', () =>
        h.errors.some((e) => e instanceof Error && /connected listener rejected/.test(e.message)),
      );
    } finally {
      await h.receiver.stop();
    }
    assert.deepEqual(trouble, []);
  });
});

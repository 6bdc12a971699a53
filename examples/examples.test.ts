// Runs every example against the emulator, so that the examples never rot.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Seed, seedBot, seedBotDirect, seedOrg, seedPerson, startEmulator } from '@herald/emulator';
import { WebexClient } from '@herald/webex';
import { until } from '../harness/wait.js';
import { startExpressBot } from './express-webhook-bot.js';
import { makeHandler } from './lambda-handler.js';
import { startMercuryBot } from './mercury-bot.js';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
let emulator: Emulator;

const BOT = seedBot('EX_BOT');
const seed: Seed = {
  orgs: [seedOrg('acme', 'Acme')],
  people: [BOT, seedPerson('ann', 'acme', 'Ann', 'EX_ANN')],
  rooms: [seedBotDirect('ann', 'Ann')],
};

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    WEBEX_TOKEN: 'EX_BOT',
    WEBEX_API_URL: `${emulator.url}/v1`,
    WEBEX_U2C_URL: `${emulator.url}/u2c/api/v1`,
    HERALD_ALLOWED_ORIGINS: `${emulator.url},${emulator.wsUrl}`,
    ...extra,
  };
}

const botTexts = () =>
  emulator.control
    .messages('ann-bot')
    .filter((m) => m.personEmail === BOT.email)
    .map((m) => String(m.text ?? m.markdown ?? ''));

describe('examples', () => {
  before(async () => {
    emulator = await startEmulator({ port: 0, seed });
  });
  after(() => emulator.stop());

  it('mercury-bot.ts answers over Mercury', async () => {
    const handler = await startMercuryBot(env());
    try {
      emulator.control.post('ann', { room: 'ann-bot', text: 'hello there' });
      await until('the answer', () => botTexts().find((t) => t.includes('You said')));
      assert.match(botTexts().join('\n'), /You said: hello there/);
    } finally {
      await handler.stop();
    }
  });

  it('express-webhook-bot.ts answers over a signed webhook, and a second start registers nothing new', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const vars = env({
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      WEBHOOK_SECRET: 'example-secret-0123456789',
    });
    const server = await startExpressBot(vars);
    try {
      emulator.control.post('ann', { room: 'ann-bot', text: 'webhook please' });
      await until('the answer', () => botTexts().find((t) => t.includes('Got it, ann@acme.example')));
      const bot = new WebexClient({ token: 'EX_BOT', baseUrl: `${emulator.url}/v1` });
      const before = await bot.webhooks.list().toArray();
      server.close();
      const again = await startExpressBot(vars);
      again.close();
      assert.deepEqual(
        (await bot.webhooks.list().toArray()).map((w) => w.id),
        before.map((w) => w.id),
      );
      for (const w of before) await bot.webhooks.delete(w.id);
    } finally {
      server.close();
    }
  });

  it('lambda-handler.ts handles a real signed delivery as an API Gateway v2 event', async () => {
    // Capture what the emulator delivers (exact bytes and headers), then hand it to the Lambda handler.
    const captured: Array<{ body: string; headers: IncomingHttpHeaders }> = [];
    const sink = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        captured.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
        res.end();
      });
    });
    await new Promise<void>((r) => sink.listen(0, '127.0.0.1', r));
    const secret = 'lambda-secret-0123456789';
    const bot = new WebexClient({ token: 'EX_BOT', baseUrl: `${emulator.url}/v1` });
    const hook = await bot.webhooks.create({
      name: 'lambda example',
      targetUrl: `http://127.0.0.1:${(sink.address() as AddressInfo).port}/`,
      resource: 'attachmentActions',
      event: 'created',
      secret,
    });
    try {
      const card = {
        type: 'AdaptiveCard',
        version: '1.3',
        body: [{ type: 'Input.Text', id: 'answer' }],
        actions: [{ type: 'Action.Submit', title: 'Send' }],
      };
      const question = await bot.messages.create({
        roomId: emulator.control.room('ann-bot').id,
        text: 'Your answer?',
        attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }],
      });
      emulator.control.submitCard('ann', question.id, { answer: '42' });
      const delivery = await until('the delivery', () => captured[0]);
      const handler = makeHandler(env({ WEBHOOK_SECRET: secret }));
      const headers = Object.fromEntries(Object.entries(delivery.headers).map(([k, v]) => [k, String(v)]));
      const result = await handler({
        version: '2.0',
        headers,
        body: delivery.body,
        isBase64Encoded: false,
        requestContext: { http: { method: 'POST' } },
      });
      assert.equal(result.statusCode, 200);
      assert.match(botTexts().join('\n'), /your answer was \{"answer":"42"\}/);
      const forged = await handler({
        version: '2.0',
        headers: { ...headers, 'x-spark-signature': '0'.repeat(40) },
        body: delivery.body,
      });
      assert.equal(forged.statusCode, 401);
    } finally {
      await bot.webhooks.delete(hook.id);
      sink.close();
    }
  });
});

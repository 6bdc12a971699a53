/**
 * Hardening, end to end: restarts do not pile up devices, and no token, webhook secret, KMS key or
 * message body reaches the logs, error output or the status page.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { startEmulator } from '@herald/emulator';
import { silentLogger } from '@herald/webex';
import { runBot } from '../src/app.js';
import { parseConfig, type Settings } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { BOT_TOKEN, TRANSPORTS, twoOrgSeed, WEBHOOK_SECRET } from './scenario.js';

function settingsFor(emuUrl: string, dir: string, extra: Partial<Settings> = {}): Settings {
  return {
    token: BOT_TOKEN,
    config: parseConfig({
      delivery: { rate_per_second: 200, workers: 2, lease_seconds: 30, max_attempts: 2 },
    }),
    locale: 'en_US',
    sqlitePath: join(dir, 'bot.sqlite'),
    port: 0,
    logLevel: 'debug',
    apiBaseUrl: `${emuUrl}/v1`,
    ...extra,
  };
}

describe('device hygiene', () => {
  it('one hundred restarts of the bot leave one device registered', async () => {
    const emu = await startEmulator({ port: 0, seed: twoOrgSeed });
    const dir = mkdtempSync(join(tmpdir(), 'herald-hygiene-'));
    try {
      for (let i = 0; i < 100; i++) {
        const bot = await runBot(settingsFor(emu.url, dir, { logLevel: 'silent' }), {
          logger: silentLogger,
          u2cUrl: `${emu.url}/u2c/api/v1`,
          allowedOrigins: [emu.url, emu.wsUrl],
          port: 0,
          pollMs: 1000,
        });
        await bot.stop();
      }
      const devices = emu.control.mercury.devices('bot');
      assert.equal(devices.length, 1, `devices: ${devices.map((d) => d.name).join(', ')}`);
    } finally {
      await emu.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const transport of TRANSPORTS) {
  describe(`secrets over ${transport}`, () => {
    it('no token, webhook secret, KMS key or message body in logs, errors or the status page', async () => {
      const emu = await startEmulator({ port: 0, seed: twoOrgSeed });
      const dir = mkdtempSync(join(tmpdir(), 'herald-secrets-'));
      let captured = '';
      const sink = new Writable({
        write(chunk, _enc, done) {
          captured += chunk.toString();
          done();
        },
      });
      const logger = createLogger('debug', sink);
      const port = 20_000 + Math.floor(Math.random() * 20_000);
      const statusToken = 'status-token-abcdef0123456789';
      const webhook = transport === 'webhook';
      const bot = await runBot(
        settingsFor(emu.url, dir, {
          port,
          statusToken,
          publicUrl: webhook ? `http://127.0.0.1:${port}` : undefined,
          webhookSecret: webhook ? WEBHOOK_SECRET : undefined,
        }),
        {
          logger,
          u2cUrl: `${emu.url}/u2c/api/v1`,
          allowedOrigins: [emu.url, emu.wsUrl],
          port,
          host: '127.0.0.1',
          pollMs: 25,
        },
      );
      const body = 'The launch code is swordfish-4711';
      try {
        const world = emu.world;
        const alice = world.findPerson('alice')!;
        world.postMessage(alice.id, { roomId: world.findRoom('alice-bot')!.id, text: body });
        // Errors on the way: 503s on the room listing (retried) and a refused space (announcement-only).
        emu.control.setFaults({ errorRate: 0.5, errorStatuses: [503], pathFilter: '/rooms', seed: 7 });
        const botId = world.findPerson('bot')!.id;
        const end = Date.now() + 20_000;
        while (
          ![...world.messages.values()].some(
            (m) => m.personId === botId && /Delivered to/.test(m.markdown ?? ''),
          )
        ) {
          if (Date.now() > end) throw new Error('no report');
          await new Promise((r) => setTimeout(r, 25));
        }
        emu.control.setFaults({ errorRate: 0 });
        // A forged webhook and a status request without the token, to make the bot log refusals.
        await fetch(`${bot.url}/webhook`, {
          method: 'POST',
          body: '{"id":"x"}',
          headers: { 'x-spark-signature': 'bad' },
        });
        const denied = await fetch(`${bot.url}/status`);
        assert.equal(denied.status, 401);
        const page = await (
          await fetch(`${bot.url}/status`, { headers: { authorization: `Bearer ${statusToken}` } })
        ).text();
        assert.match(page, /Recent broadcasts/);

        const keys = [...world.rooms.values()].map((r) => emu.control.mercury.contentKey(r.encryptionKeyUrl));
        const secrets: Array<[string, string]> = [
          ['bot token', BOT_TOKEN],
          ['webhook secret', WEBHOOK_SECRET],
          ['status token', statusToken],
          ['message body', 'swordfish-4711'],
          ...keys.flatMap(
            (k, i): Array<[string, string]> => [
              [`room key ${i} (base64url)`, k.toString('base64url')],
              [`room key ${i} (hex)`, k.toString('hex')],
            ],
          ),
        ];
        assert.ok(captured.length > 500, 'the run logged something');
        for (const [what, secret] of secrets) {
          assert.ok(!captured.includes(secret), `${what} leaked into the logs`);
          assert.ok(!page.includes(secret), `${what} leaked into the status page`);
        }
      } finally {
        await bot.stop();
        await emu.stop();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/**
 * Start-up has one retry loop, and it makes exactly the tries its policy says: the calls inside it
 * (registering webhooks; Mercury's device, socket and KMS) try once each, so retries do not nest.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startEmulator } from '@herald/emulator';
import { WebexApiError } from '@herald/webex';
import { parseConfig } from '../src/config.js';
import { BOT_TOKEN, freePort, runBotOnEmulator, twoOrgSeed, WEBHOOK_SECRET } from './scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-startup-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('start-up retry', () => {
  for (const attempts of [1, 3]) {
    it(`registering webhooks answers 503: start-up gives up after exactly ${attempts} GET /webhooks`, async () => {
      const emu = await startEmulator({ port: 0, seed: twoOrgSeed });
      try {
        emu.control.setFaults({
          errorRate: 1,
          errorStatuses: [503],
          pathFilter: '/webhooks',
          omitRetryAfter: true,
        });
        emu.control.clearRequests();
        const started = runBotOnEmulator({
          emu,
          token: BOT_TOKEN,
          config: parseConfig({}),
          transport: 'webhook',
          webhookSecret: WEBHOOK_SECRET,
          port: await freePort(),
          sqlitePath: join(dir, `bot-${attempts}.sqlite`),
          instanceId: `startup-${attempts}`,
          startRetry: { attempts, base: 1, cap: 1 },
        });
        await assert.rejects(
          started.then(async (bot) => {
            await bot.stop();
            return bot;
          }),
          (err: unknown) => err instanceof WebexApiError && err.status === 503,
        );
        assert.equal(emu.control.requests({ method: 'GET', path: '/v1/webhooks' }).length, attempts);
      } finally {
        await emu.stop();
      }
    });
  }
});

/**
 * Child process of soak.bench.ts: the broadcast bot alone (its RSS is its own), against the
 * emulator named by SOAK_EMULATOR_URL, over Mercury, on a fast clock: SOAK_SPEED times real time for
 * its leases, retry times, progress cards and retention sweeps, and for Mercury's heartbeat, backoff
 * and timeouts (whose timestamps stay on the wall clock, as they are compared with the server's).
 * Answers `sample` messages with its memory and open handles.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, silentLogger } from '@herald/webex';
import { runBot } from '../apps/broadcast/src/app.js';
import { parseConfig } from '../apps/broadcast/src/config.js';

const emu = process.env.SOAK_EMULATOR_URL ?? '';
const speed = Number(process.env.SOAK_SPEED ?? 1);
const t0 = Date.now();
/** Bot time: `speed` ms pass for each real ms. */
const fastNow = () => t0 + (Date.now() - t0) * speed;
/** Mercury's timers fire `speed` times sooner; its `now()` is the wall clock. */
const fastTimers: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms / speed);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

const bot = await runBot(
  {
    token: process.env.SOAK_TOKEN ?? '',
    config: parseConfig({
      delivery: { rate_per_second: 200, workers: 4, lease_seconds: 30, max_attempts: 5 },
    }),
    locale: 'en_US',
    databaseUrl: undefined,
    sqlitePath: join(mkdtempSync(join(tmpdir(), 'herald-soak-')), 'bot.sqlite'),
    publicUrl: undefined,
    webhookSecret: undefined,
    port: 0,
    logLevel: 'silent',
    apiBaseUrl: `${emu}/v1`,
  },
  {
    logger: silentLogger,
    instanceId: 'soak',
    u2cUrl: `${emu}/u2c/api/v1`,
    allowedOrigins: [emu, emu.replace(/^http/, 'ws')],
    port: 0,
    host: '127.0.0.1',
    pollMs: 25,
    now: speed === 1 ? undefined : fastNow,
    mercuryClock: speed === 1 ? undefined : fastTimers,
  },
);
process.on('message', async (m: unknown) => {
  if (m === 'sample') {
    // Retained heap, not garbage awaiting collection (the child runs with --expose-gc).
    (globalThis as { gc?: () => void }).gc?.();
    const handles = process.getActiveResourcesInfo();
    const mem = process.memoryUsage();
    const done = (await bot.store.recentBroadcasts(100_000)).filter((r) => r.status === 'done').length;
    process.send?.({
      rss: mem.rss,
      heap: mem.heapUsed,
      handles: handles.length,
      handleTypes: handles,
      done,
      botMs: fastNow() - t0,
      sent: bot.bot.metrics.deliveries.sent,
    });
  } else if (m === 'stop') {
    await bot.stop();
    process.exit(0);
  }
});
process.send?.('ready');

/**
 * The emulator (seeded with one bot, Alice and `spaces` group spaces) and the broadcast bot against
 * it in-process over Mercury with SQLite: what the broadcast and recall benches both measure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningBot, runBot } from '@herald/broadcast';
import { manySpacesSeed, type RunningEmulator, startEmulator } from '@herald/emulator';
import { silentLogger } from '@herald/webex';
import { parseConfig } from '../apps/broadcast/src/config.js';

export interface BenchBot {
  emu: RunningEmulator;
  bot: RunningBot;
  stop(): Promise<void>;
}

export async function startBenchBot(spaces: number, botRate: number): Promise<BenchBot> {
  const emu = await startEmulator({
    port: 0,
    seed: manySpacesSeed({ spaces, botToken: 'BENCH_BOT', personToken: 'BENCH_ALICE' }),
  });
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
  const bot = await runBot(
    {
      token: 'BENCH_BOT',
      config: parseConfig({
        delivery: { rate_per_second: botRate, workers: 4, lease_seconds: 30, max_attempts: 5 },
      }),
      locale: 'en_US',
      sqlitePath: join(dir, 'bench.sqlite'),
      port: 0,
      logLevel: 'silent',
      apiBaseUrl: `${emu.url}/v1`,
    },
    {
      logger: silentLogger,
      u2cUrl: `${emu.url}/u2c/api/v1`,
      allowedOrigins: [emu.url, emu.wsUrl],
      port: 0,
      pollMs: 50,
    },
  );
  return {
    emu,
    bot,
    async stop() {
      await bot.stop();
      await emu.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

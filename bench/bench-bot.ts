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
import type { BenchTable } from '../harness/table.js';

export interface BenchBot {
  emu: RunningEmulator;
  bot: RunningBot;
  stop(): Promise<void>;
}

export interface BenchBotOptions {
  token: string;
  /** `delivery.rate_per_second`. */
  rate: number;
  workers: number;
  leaseSeconds: number;
  sqlitePath: string;
  /** PostgreSQL instead of SQLite, in `schema`. */
  databaseUrl?: string | undefined;
  schema?: string | undefined;
  /** The idle poll, ms; default the bot's own. */
  pollMs?: number | undefined;
}

/** The broadcast bot in this process over Mercury against an emulator at `emu`, silent, on port 0. */
export function runBenchBot(emu: { url: string; wsUrl: string }, o: BenchBotOptions): Promise<RunningBot> {
  return runBot(
    {
      token: o.token,
      config: parseConfig({
        delivery: {
          rate_per_second: o.rate,
          workers: o.workers,
          lease_seconds: o.leaseSeconds,
          max_attempts: 5,
        },
      }),
      locale: 'en_US',
      sqlitePath: o.sqlitePath,
      databaseUrl: o.databaseUrl,
      port: 0,
      logLevel: 'silent',
      apiBaseUrl: `${emu.url}/v1`,
    },
    {
      logger: silentLogger,
      u2cUrl: `${emu.url}/u2c/api/v1`,
      allowedOrigins: [emu.url, emu.wsUrl],
      port: 0,
      schema: o.schema,
      pollMs: o.pollMs,
    },
  );
}

export async function startBenchBot(spaces: number, botRate: number): Promise<BenchBot> {
  const emu = await startEmulator({
    port: 0,
    seed: manySpacesSeed({ spaces, botToken: 'BENCH_BOT', personToken: 'BENCH_ALICE' }),
  });
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
  const bot = await runBenchBot(emu, {
    token: 'BENCH_BOT',
    rate: botRate,
    workers: 4,
    leaseSeconds: 30,
    sqlitePath: join(dir, 'bench.sqlite'),
    pollMs: 50,
  });
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

/** The emulator's limit on the measured call, per second; the floor is `spaces / LIMIT_R` seconds. */
export const LIMIT_R = 100;

/**
 * Runs `run` with the bot's limiter at R (configured to the emulator's limit) and at 2R (it learns
 * from the 429s): a row each, the wall-time target of each (within 10 % of the floor), and the
 * bench's own target of each run from `measure`.
 */
export async function limiterRuns<T extends { seconds: number }>(
  spaces: number,
  run: (botRate: number) => Promise<T>,
  measure: (
    label: string,
    result: T,
    floor: number,
  ) => { row: BenchTable['rows'][number]; target: NonNullable<BenchTable['targets']>[number] },
): Promise<{ rows: BenchTable['rows']; targets: NonNullable<BenchTable['targets']> }> {
  const floor = spaces / LIMIT_R;
  const rows: BenchTable['rows'] = [];
  const targets: NonNullable<BenchTable['targets']> = [];
  for (const [label, rate] of [
    ['bot limiter = R (configured to the limit)', LIMIT_R],
    ['bot limiter = 2R (learns from 429)', 2 * LIMIT_R],
  ] as const) {
    const result = await run(rate);
    const { row, target } = measure(label, result, floor);
    rows.push(row);
    targets.push(
      {
        what: `${label}: wall time ≤ 1.10 × floor (${(result.seconds / floor).toFixed(2)}×)`,
        met: result.seconds / floor <= 1.1,
      },
      target,
    );
  }
  return { rows, targets };
}

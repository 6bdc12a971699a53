/**
 * The broadcast bot as `herald start` processes against an emulator: the environment of one such
 * process, and several instances of one bot sharing one PostgreSQL schema.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { Store } from '../apps/broadcast/src/store/store.js';

const CLI = fileURLToPath(new URL('../apps/broadcast/src/cli.ts', import.meta.url));

/**
 * The environment of a `herald` child process against `emu`: the parent's without its
 * `DATABASE_URL` and `PUBLIC_URL` (the child receives over Mercury, on the store `extra` names),
 * the emulator's URLs, port 0, then `extra`.
 */
export function botEnv(
  emu: { url: string; wsUrl: string },
  token: string,
  extra: NodeJS.ProcessEnv,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WEBEX_TOKEN: token,
    WEBEX_API_URL: `${emu.url}/v1`,
    WEBEX_U2C_URL: `${emu.url}/u2c/api/v1`,
    HERALD_ALLOWED_ORIGINS: `${emu.url},${emu.wsUrl}`,
    PORT: '0',
  };
  delete env.DATABASE_URL;
  delete env.PUBLIC_URL;
  return { ...env, ...extra };
}

export interface BotInstancesOptions {
  token: string;
  /** PostgreSQL, shared by every instance in `schema`. */
  databaseUrl: string;
  schema: string;
  count: number;
  /** Instance `i` runs as `HERALD_INSTANCE=<name>-<i>`. */
  name: string;
  /** The config file's `delivery` section. */
  delivery: { rate_per_second: number; workers: number; lease_seconds: number; max_attempts: number };
}

export interface BotInstances {
  /** The processes, instance 0 first. */
  children: ChildProcess[];
  /** Kill every instance (`SIGKILL`) and wait for them to exit, drop the schema, delete the config. */
  stop(): Promise<void>;
}

/** Migrates `schema`, then starts `count` instances on it, logging warnings and errors to stderr. */
export async function startBotInstances(
  emu: { url: string; wsUrl: string },
  o: BotInstancesOptions,
): Promise<BotInstances> {
  const dir = mkdtempSync(join(tmpdir(), `herald-${o.name}-`));
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ delivery: o.delivery }));
  const admin = new Store({ databaseUrl: o.databaseUrl, schema: o.schema });
  await admin.migrate();
  const separator = o.databaseUrl.includes('?') ? '&' : '?';
  const databaseUrl = `${o.databaseUrl}${separator}options=-c%20search_path%3D${o.schema}`;
  const children = Array.from({ length: o.count }, (_, i) =>
    spawn(process.execPath, ['--import', 'tsx', CLI, 'start'], {
      env: botEnv(emu, o.token, {
        DATABASE_URL: databaseUrl,
        HERALD_INSTANCE: `${o.name}-${i}`,
        CONFIG_FILE: config,
        LOG_LEVEL: 'warn',
      }),
      stdio: ['ignore', 'ignore', 'inherit'],
    }),
  );
  return {
    children,
    async stop() {
      await Promise.all(children.map(killed));
      await sql`drop schema if exists ${sql.id(o.schema)} cascade`.execute(admin.db);
      await admin.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `SIGKILL` to `child`, answered once it has exited (at once if it already had, or never started). */
function killed(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

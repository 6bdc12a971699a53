/**
 * Function mode's settings: the same file and environment as `herald start` (config.ts), with the
 * config JSON optionally in `HERALD_CONFIG_JSON`, plus what only functions need. Functions share no
 * disk and may run many copies at once, so the store must be PostgreSQL (`DATABASE_URL`).
 */
import { ConfigError, loadSettings, type Settings } from '../config.js';

export interface FunctionSettings extends Settings {
  databaseUrl: string;
  webhookSecret: string;
  /**
   * How long a drain runs where the platform does not say (Azure, fetch runtimes), in ms:
   * `HERALD_DRAIN_BUDGET_MS`, default 240000 (4 minutes, under Azure's default 5-minute limit).
   * On Lambda the budget is the invocation's remaining time.
   */
  drainBudgetMs: number;
  /**
   * Time kept back at the end of a drain, in ms: `HERALD_DRAIN_MARGIN_MS`, default 3000. The drain
   * stops claiming this long before its end, lets the sends in flight finish, hands back its
   * leases and returns before the platform stops it.
   */
  drainMarginMs: number;
}

/** The environment variables function mode reads (deployment files may name only these). */
export const FUNCTION_ENV_VARS = [
  'WEBEX_TEAMS_ACCESS_TOKEN',
  'WEBEX_TOKEN',
  'WEBHOOK_SECRET',
  'DATABASE_URL',
  'CONFIG_FILE',
  'HERALD_CONFIG_JSON',
  'LOCALE',
  'LOG_LEVEL',
  'WEBEX_API_URL',
  'HERALD_DRAIN_BUDGET_MS',
  'HERALD_DRAIN_MARGIN_MS',
] as const;

export const DEFAULT_DRAIN_BUDGET_MS = 240_000;
export const DEFAULT_DRAIN_MARGIN_MS = 3000;

function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new ConfigError(`${name}: expected milliseconds (an integer ≥ 0)`);
  return n;
}

export function loadFunctionSettings(env: NodeJS.ProcessEnv): FunctionSettings {
  const settings = loadSettings(env);
  if (!settings.databaseUrl) {
    throw new ConfigError(
      'DATABASE_URL: function mode needs PostgreSQL; SQLite (HERALD_SQLITE) cannot be shared by functions, which have no common disk',
    );
  }
  if (!settings.webhookSecret || settings.webhookSecret.length < 16) {
    throw new ConfigError('WEBHOOK_SECRET: required in function mode, at least 16 characters');
  }
  return {
    ...settings,
    databaseUrl: settings.databaseUrl,
    webhookSecret: settings.webhookSecret,
    drainBudgetMs: milliseconds(env, 'HERALD_DRAIN_BUDGET_MS', DEFAULT_DRAIN_BUDGET_MS),
    drainMarginMs: milliseconds(env, 'HERALD_DRAIN_MARGIN_MS', DEFAULT_DRAIN_MARGIN_MS),
  };
}

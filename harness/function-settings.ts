/**
 * Function mode's settings against an emulator, as the function-mode tests and the functions bench
 * run it: PostgreSQL, silent, on port 0, a drain budget of 5 s of which the last 1 s is kept back.
 */
import { parseConfig } from '../apps/broadcast/src/config.js';
import type { FunctionSettings } from '../apps/broadcast/src/functions/settings.js';

export interface FunctionSettingsOptions {
  token: string;
  databaseUrl: string;
  webhookSecret: string;
  /** Config over the bot's defaults. */
  config?: object;
}

export function functionSettings(emu: { url: string }, o: FunctionSettingsOptions): FunctionSettings {
  return {
    token: o.token,
    config: parseConfig(o.config ?? {}),
    locale: 'en_US',
    databaseUrl: o.databaseUrl,
    sqlitePath: '',
    webhookSecret: o.webhookSecret,
    port: 0,
    logLevel: 'silent',
    apiBaseUrl: `${emu.url}/v1`,
    drainBudgetMs: 5000,
    drainMarginMs: 1000,
  };
}

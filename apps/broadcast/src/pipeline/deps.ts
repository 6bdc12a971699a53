/** What every stage of the pipeline (planner, dispatcher, reporter, copy work) is handed by the bot. */
import type { WebexClient } from '@herald/webex';
import type { BroadcastConfig } from '../config.js';
import type { Store } from '../store/store.js';

/** A log line at `level` with structured `fields`. */
export type StageLog = (
  level: 'info' | 'warn' | 'error',
  fields: Record<string, unknown>,
  msg: string,
) => void;

export interface StageDeps {
  client: WebexClient;
  store: Store;
  config: BroadcastConfig;
  now: () => number;
  log: StageLog;
}

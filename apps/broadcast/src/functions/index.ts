// @herald/broadcast/functions: the function-mode core, for entry points of other platforms.
// The ready entries are the subpaths `./functions/lambda`, `./functions/azure` and `./functions/fetch`.
export { type DrainReport, FunctionCore, type FunctionCoreOptions, type Kick } from './core.js';
export { coreFromEnv } from './env.js';
export {
  DEFAULT_DRAIN_BUDGET_MS,
  DEFAULT_DRAIN_MARGIN_MS,
  type FunctionSettings,
  loadFunctionSettings,
} from './settings.js';

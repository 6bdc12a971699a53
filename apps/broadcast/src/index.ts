// @herald/broadcast: the bot as a library (for tests and embedding); the CLI is `herald`.
export { type RunningBot, type RunOptions, runBot } from './app.js';
export { type BotMetrics, type BotOptions, BroadcastBot } from './bot.js';
export {
  type BroadcastConfig,
  ConfigError,
  DEFAULT_CONFIG,
  loadSettings,
  parseConfig,
  type Settings,
} from './config.js';
export { availableLocales } from './locales.js';
export { Store, type StoreOptions } from './store/store.js';

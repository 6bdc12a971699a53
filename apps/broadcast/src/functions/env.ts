/** One core per container, made from the environment on the first invocation (no work at import). */
import { createLogger } from '../log.js';
import { FunctionCore, type FunctionCoreOptions } from './core.js';
import { loadFunctionSettings } from './settings.js';

/** A memoised core from `process.env`; a failure (bad config) is not kept, so a fixed setting takes effect. */
export function coreFromEnv(options: FunctionCoreOptions = {}): () => FunctionCore {
  let core: FunctionCore | undefined;
  return () => {
    if (core) return core;
    const settings = loadFunctionSettings(process.env);
    core = new FunctionCore(settings, {
      ...options,
      logger: options.logger ?? createLogger(settings.logLevel),
    });
    return core;
  };
}

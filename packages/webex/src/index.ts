// @herald/webex: the public API. Each area adds its exports here, one line per module.

export * from './cards.js';
export * from './errors.js';
export * from './events.js';
export * from './guard.js';
export * from './ids.js';
export * from './logger.js';
export * from './mercury/index.js';
export type { EventSink, Receiver, ReceiverStatus } from './receiver.js';
export * from './rest/index.js';
export {
  backoff,
  canRetry,
  DEFAULT_RETRY,
  decideRetry,
  isPermanent,
  isTransient,
  type RetryDecision,
  type RetryPolicy,
  retryAfterMs,
  retryPolicy,
} from './retry.js';
export * from './webhooks/index.js';

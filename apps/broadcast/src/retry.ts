/**
 * The bot's retry policies, as data over the library's one `RetryPolicy` and `backoff`: the work
 * loops (planning, sending, copy tasks, reports) and start-up. Which failures are worth another try
 * is the library's to say (`isPermanent`, `isTransient`, `decideRetry`), not this app's.
 */
import { backoff, isPermanent, isTransient, KmsError, type RetryPolicy } from '@herald/webex';

/**
 * Durable work, tried again later from its row: 1 s, 2 s, 4 s … capped at 60 s. Everything but a
 * permanent answer from Webex is worth another try, up to the row's attempts.
 */
export const WORK_RETRY: RetryPolicy = {
  attempts: Number.POSITIVE_INFINITY,
  base: 1000,
  cap: 60_000,
  factor: 2,
  jitter: 0,
  shouldRetry: (error) => !isPermanent(error),
};

/** `WORK_RETRY` bounded to `attempts` tries (the `delivery.max_attempts` setting). */
export function workRetry(attempts: number): RetryPolicy {
  return { ...WORK_RETRY, attempts };
}

/** The wait before trying a work row again after its `attempt`-th failure (ms). */
export function workBackoffMs(attempt: number): number {
  return backoff(WORK_RETRY, attempt);
}

/**
 * Start-up (registering webhooks, or the Mercury device, socket and KMS handshake): six tries in
 * all, 1, 2, 4, 8, 16 s apart (or `Retry-After`). This is the only loop: the calls inside it try
 * once. A refused token, another permanent 4xx or a URL outside the allow-list fails at once.
 */
export const STARTUP_RETRY: RetryPolicy = {
  attempts: 6,
  base: 1000,
  cap: 32_000,
  factor: 2,
  jitter: 0,
  // A KMS that does not answer (no status) is passing; a KMS refusal with a status is not.
  shouldRetry: (error) => isTransient(error) || (error instanceof KmsError && error.status === undefined),
};

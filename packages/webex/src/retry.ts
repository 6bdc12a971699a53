/**
 * Retry as data (STYLE.md §10, undici's retry options as the model): one policy type and one backoff
 * function for every loop that tries again — the REST pipeline, Mercury's setup calls and reconnects,
 * the broadcast bot's work loops and start-up.
 *
 * The n-th wait (n = 1, 2, …) is `min(base · factor^(n−1), cap)`, then spread by `jitter`: with
 * jitter j the wait is drawn uniformly from `[d · (1 − j), d]` (j = 1 is "full jitter", 0 none).
 */
import { WebexApiError, WebexNetworkError } from './errors.js';

export interface RetryPolicy {
  /** Tries in all, the first included (1 = no retry). */
  attempts: number;
  /** First wait (ms). */
  base: number;
  /** Longest wait (ms). */
  cap: number;
  /** Growth of the wait per try. */
  factor: number;
  /** Share of the wait drawn at random, 0..1 (0: exact waits). */
  jitter: number;
  /** Whether the failure of try `attempt` (1-based) is worth another try. Default: `isTransient`. */
  shouldRetry?: ((error: unknown, attempt: number) => boolean) | undefined;
}

/** Defaults of a policy: four tries, waiting 1, 2, 4 s (at most 32 s), no jitter. */
export const DEFAULT_RETRY: Readonly<Required<Omit<RetryPolicy, 'shouldRetry'>>> = Object.freeze({
  attempts: 4,
  base: 1000,
  cap: 32_000,
  factor: 2,
  jitter: 0,
});

/** A policy with every field set, `partial` over `defaults`. */
export function retryPolicy(partial: Partial<RetryPolicy> | undefined, defaults: RetryPolicy): RetryPolicy {
  return { ...defaults, ...dropUndefined(partial ?? {}) };
}

/** The wait (ms) before try `attempt + 1`, after try `attempt` (1-based) failed. */
export function backoff(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exp = Math.min(Math.max(attempt - 1, 0), 64);
  const d = Math.min(policy.base * policy.factor ** exp, policy.cap);
  const j = Math.min(Math.max(policy.jitter, 0), 1);
  return j === 0 ? d : d * (1 - j * random());
}

/**
 * The one classifier of failures: true for a passing one that another try may get past — no answer
 * at all (`WebexNetworkError`), 408, 423, 429 or a 5xx (`WebexApiError.isPermanent` false). A refused
 * token, another 4xx, bad input or a bug is final.
 */
export function isTransient(error: unknown): boolean {
  return error instanceof WebexNetworkError || (error instanceof WebexApiError && !error.isPermanent);
}

/** Whether `policy` allows another try after try `attempt` failed with `error`. */
export function canRetry(policy: RetryPolicy, error: unknown, attempt: number): boolean {
  if (attempt >= policy.attempts) return false;
  return (policy.shouldRetry ?? isTransient)(error, attempt);
}

/**
 * Wait (ms) asked by the server, when it said so (`Retry-After`, in seconds), bounded by `maxMs`.
 * `undefined` when it did not.
 */
export function retryAfterMs(error: unknown, maxMs: number): number | undefined {
  if (error instanceof WebexApiError && error.retryAfter !== undefined)
    return Math.min(error.retryAfter * 1000, maxMs);
  return undefined;
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

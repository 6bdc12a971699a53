/**
 * Retry as data (STYLE.md §10, undici's retry options as the model): one policy type and one backoff
 * function for every loop that tries again — the REST pipeline, Mercury's setup calls and reconnects,
 * the broadcast bot's work loops and start-up.
 *
 * The n-th wait (n = 1, 2, …) is `min(base · factor^(n−1), cap)`, then spread by `jitter`: with
 * jitter j the wait is drawn uniformly from `[d · (1 − j), d]` (j = 1 is "full jitter", 0 none).
 */
import { WebexApiError, WebexNetworkError } from './errors.js';

/** How a loop tries again: how many tries, how the waits grow, and which failures are worth another. */
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

/** The wait (ms, whole) before try `attempt + 1`, after try `attempt` (1-based) failed. */
export function backoff(
  policy: Pick<RetryPolicy, 'base' | 'cap' | 'factor' | 'jitter'>,
  attempt: number,
  random: () => number = Math.random,
): number {
  const exp = Math.min(Math.max(attempt - 1, 0), 64);
  const d = Math.min(policy.base * policy.factor ** exp, policy.cap);
  const j = Math.min(Math.max(policy.jitter, 0), 1);
  return Math.round(j === 0 ? d : d * (1 - j * random()));
}

/**
 * The one classifier of failures: true for a passing one that another try may get past — no answer
 * at all (`WebexNetworkError`), 408, 423, 429 or a 5xx (`WebexApiError.isPermanent` false). A refused
 * token, another 4xx, bad input or a bug is final.
 */
export function isTransient(error: unknown): boolean {
  return error instanceof WebexNetworkError || (error instanceof WebexApiError && !error.isPermanent);
}

/**
 * True when Webex said no for good: a 4xx other than 408, 423 and 429 (a refused token, a missing
 * room, a moderator-only space). For durable work that is tried again later (the broadcast bot's
 * deliveries and copy tasks) everything else is worth another try up to its attempts: no answer,
 * a 5xx, and failures that did not come from Webex at all.
 */
export function isPermanent(error: unknown): boolean {
  return error instanceof WebexApiError && error.isPermanent;
}

/** What to do after a failed try of durable work. */
export interface RetryDecision {
  /** Webex answered 429: the work was not done; wait `waitMs` (its `Retry-After`) without counting a try. */
  rateLimited: boolean;
  /** Try again after `waitMs`. */
  retry: boolean;
  /** How long to wait before the next try, in ms (0 when `retry` is false). */
  waitMs: number;
}

/**
 * The one decision after try `attempt` of durable work failed with `error`: a 429 waits its
 * `Retry-After` (else `rateLimitDefaultMs`), anything `policy.shouldRetry` accepts within
 * `policy.attempts` waits `Retry-After` or the policy's backoff; the rest is final.
 */
export function decideRetry(
  policy: RetryPolicy,
  error: unknown,
  attempt: number,
  options: { rateLimitDefaultMs?: number; random?: () => number } = {},
): RetryDecision {
  if (error instanceof WebexApiError && error.status === 429) {
    const waitMs =
      error.retryAfter !== undefined ? error.retryAfter * 1000 : (options.rateLimitDefaultMs ?? 15_000);
    return { rateLimited: true, retry: true, waitMs };
  }
  if (!canRetry(policy, error, attempt)) return { rateLimited: false, retry: false, waitMs: 0 };
  const asked = error instanceof WebexApiError && error.retryAfter ? error.retryAfter * 1000 : undefined;
  return { rateLimited: false, retry: true, waitMs: asked ?? backoff(policy, attempt, options.random) };
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

/**
 * Run `call` under `policy`: after a failure the policy accepts, wait what the server asked
 * (`Retry-After`, at most 60 s) or else the policy's backoff, then try again; a failure it does not
 * accept, or the last try's, is thrown. `onRetry` hears each wait before it starts.
 */
export async function retrying<T>(
  policy: RetryPolicy,
  call: () => Promise<T>,
  options: {
    sleep: (ms: number) => Promise<void>;
    onRetry?: (error: unknown, attempt: number, waitMs: number) => void;
  },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!canRetry(policy, err, attempt)) throw err;
      const waitMs = retryAfterMs(err, 60_000) ?? backoff(policy, attempt);
      options.onRetry?.(err, attempt, waitMs);
      await options.sleep(waitMs);
    }
  }
}

function dropUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

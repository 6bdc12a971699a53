/**
 * Reconnect policy as data (docs/protocol.md §3.8): delay `min(initial · 2^(n−1), max)` for the
 * n-th consecutive failure, at most `maxAttempts` in a row. The count resets only once a connection
 * has stayed up for `stabilityWindow`, so a flapping link still trips the limit (3R ≥0.6.x).
 */
export interface BackoffPolicy {
  /** First delay (ms). Default 1000. */
  initialDelay: number;
  /** Longest delay (ms). Default 32000 (`reconnectBackoffMax`). */
  maxDelay: number;
  /** Consecutive failed attempts before giving up. Default 10 (`maxReconnectAttempts`). */
  maxAttempts: number;
  /** A connection counts as recovered after staying up this long (ms). Default 60000. */
  stabilityWindow: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  initialDelay: 1000,
  maxDelay: 32_000,
  maxAttempts: 10,
  stabilityWindow: 60_000,
});

/** Delay before attempt `attempt` (1-based). */
export function backoffDelay(policy: BackoffPolicy, attempt: number): number {
  const exp = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(policy.initialDelay * 2 ** exp, policy.maxDelay);
}

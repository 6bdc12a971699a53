/**
 * Options of `WebexClient`, and the retry policy as data (undici's RetryHandler is the model: the
 * defaults live in one object, idempotent methods only, abortable timers).
 */
import { InvalidArgumentError } from '../errors.js';
import type { FetchLike } from '../http.js';
import { type Logger, silentLogger } from '../logger.js';
import { nodeTransport } from '../node-http.js';
import type { RetryPolicy } from '../retry.js';

/** Official base URL (docs/protocol.md §7.1). */
export const DEFAULT_BASE_URL = 'https://webexapis.com/v1';

/**
 * When and how long the pipeline waits before repeating a request: the library's one
 * `RetryPolicy` (tries, backoff base, cap, factor, jitter, `shouldRetry`) and what only HTTP needs.
 */
export interface RestRetryPolicy extends RetryPolicy {
  /**
   * Seconds to wait after a 429 whose `Retry-After` is missing or malformed. Default 15 s, as
   * the Python SDK does (§7.1). A `Retry-After: 0` is honoured as 0.
   */
  rateLimitDefaultWaitS: number;
  /**
   * Longest single wait the client accepts, in seconds. When Webex asks for more (429 or 503
   * `Retry-After`), the client does not wait: it throws the `WebexApiError` with `retryAfter` set,
   * so that the caller can schedule the work instead of holding a call open. Default 120 s.
   */
  maxWaitS: number;
  /** HTTP statuses retried with backoff, for idempotent requests only. Default 500, 502, 503, 504, 408. */
  retryStatuses: readonly number[];
  /**
   * Methods repeated after a 5xx or network error. A POST is repeated only when the call passes
   * `{ idempotent: true }`; `messages.create` never does. A 429 is retried for any method (Webex
   * did not process the request). Default GET, HEAD, PUT, DELETE, OPTIONS.
   */
  idempotentMethods: readonly string[];
}

/**
 * The defaults of `RestRetryPolicy`: 6 tries in all (all reasons together: 429, 5xx, network; `1`
 * turns retrying off), backoff from 500 ms doubling to at most 10 s, each wait scaled by a factor
 * drawn from `[0.8, 1]`.
 */
export const DEFAULT_RETRY_POLICY: Readonly<RestRetryPolicy> = Object.freeze({
  attempts: 6,
  base: 500,
  cap: 10_000,
  factor: 2,
  jitter: 0.2,
  rateLimitDefaultWaitS: 15,
  maxWaitS: 120,
  retryStatuses: Object.freeze([500, 502, 503, 504, 408]),
  idempotentMethods: Object.freeze(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']),
});

/** Sleep that ends early (rejecting with the signal's reason) when `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface WebexClientOptions {
  /** Access token of the bot or user (required). Sent only to `baseUrl`'s origin. */
  token: string;
  /** API base, with the version path. Default `https://webexapis.com/v1`. */
  baseUrl?: string | undefined;
  /**
   * Time limit of one HTTP attempt (headers and body), in ms. A call that retries may take
   * longer in total. Per-call `timeoutMs` overrides it; `0` means no limit. Default 30 000 ms.
   */
  timeoutMs?: number | undefined;
  /**
   * The fetch to use. Default the library's own transport on `node:http(s)` (keep-alive,
   * redirects, compressed answers), with which a call costs about half the CPU it does on the
   * global `fetch` (`bench/http.bench.ts`); with a `dispatcher`, the global `fetch`.
   */
  fetch?: typeof globalThis.fetch | undefined;
  /**
   * An undici `Dispatcher` (e.g. `ProxyAgent`) handed to fetch as `dispatcher`, for proxies. It
   * must come from the same undici as `fetch` (the global one when `fetch` is not given);
   * `proxyFromEnv()` of `@herald/webex/proxy` gives a `fetch` that brings its own, which is
   * simpler. Default none.
   */
  dispatcher?: unknown;
  /** Where the client logs (pino-shaped). Default silent. */
  logger?: Logger | undefined;
  /** Retry policy; fields left out keep `DEFAULT_RETRY_POLICY`'s values. */
  retry?: Partial<RestRetryPolicy> | undefined;
  /** Sleep used for every retry wait (tests inject one that records). Default an abortable timer. */
  sleep?: Sleep | undefined;
  /** Clock in ms since the epoch, for `Retry-After` given as an HTTP date. Default `Date.now`. */
  now?: (() => number) | undefined;
  /** Random source in [0, 1) for backoff jitter. Default `Math.random`. */
  random?: (() => number) | undefined;
  /**
   * Largest JSON answer accepted, in bytes; a larger one fails the call. Default 32 MiB.
   */
  maxResponseBytes?: number | undefined;
  /** Prefix of the `trackingid` header sent with every request. Default `herald`. */
  trackingIdPrefix?: string | undefined;
}

/** Options every method takes as its last argument. */
export interface CallOptions {
  /** Aborts the call, including any retry wait; the call then rejects with `AbortedError`. */
  signal?: AbortSignal | undefined;
  /** Time limit of one HTTP attempt for this call, in ms. Default the client's `timeoutMs`. */
  timeoutMs?: number | undefined;
}

/** Options of creates that the caller may declare safe to repeat. */
export interface WriteCallOptions extends CallOptions {
  /**
   * The caller declares that sending this POST twice is harmless, so it may be repeated after a
   * 5xx or a network error. Default false.
   */
  idempotent?: boolean | undefined;
}

/** `WebexClientOptions` resolved once: every default filled in, `baseUrl` parsed, `retry` whole. */
export interface ResolvedOptions extends Required<Omit<WebexClientOptions, 'baseUrl' | 'retry' | 'fetch'>> {
  /** The transport: `options.fetch`, else the global fetch with a dispatcher, else `nodeTransport`. */
  fetch: FetchLike;
  baseUrl: URL;
  /** `baseUrl` as a string without a trailing slash. */
  base: string;
  retry: RestRetryPolicy;
}

/** The default `sleep`: a timer that is cleared when the signal aborts. */
export const defaultSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

/** Resolve and validate options once, naming the field that is wrong. */
export function resolveOptions(options: WebexClientOptions): ResolvedOptions {
  if (!options || typeof options.token !== 'string' || options.token.trim() === '') {
    throw new InvalidArgumentError('token is required: pass the bot or user access token');
  }
  const rawBase = options.baseUrl ?? DEFAULT_BASE_URL;
  let baseUrl: URL;
  try {
    baseUrl = new URL(rawBase);
  } catch {
    throw new InvalidArgumentError('baseUrl is not an absolute URL');
  }
  if (baseUrl.protocol !== 'https:' && baseUrl.protocol !== 'http:') {
    throw new InvalidArgumentError('baseUrl must use http or https');
  }
  if (baseUrl.search || baseUrl.hash) {
    throw new InvalidArgumentError('baseUrl must not carry a query or fragment');
  }
  const retry: RestRetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  if (!Number.isInteger(retry.attempts) || retry.attempts < 1)
    throw new InvalidArgumentError(`retry.attempts must be an integer >= 1, got ${String(retry.attempts)}`);
  nonNegative('retry.rateLimitDefaultWaitS', retry.rateLimitDefaultWaitS);
  nonNegative('retry.maxWaitS', retry.maxWaitS);
  nonNegative('retry.base', retry.base);
  nonNegative('retry.cap', retry.cap);
  nonNegative('retry.factor', retry.factor);
  if (!(retry.jitter >= 0 && retry.jitter <= 1)) {
    throw new InvalidArgumentError('retry.jitter must be between 0 and 1');
  }
  const fetchImpl =
    (options.fetch as unknown as FetchLike | undefined) ??
    (options.dispatcher !== undefined
      ? (globalThis.fetch as unknown as FetchLike | undefined)
      : nodeTransport);
  if (typeof fetchImpl !== 'function') {
    throw new InvalidArgumentError(
      'fetch: no global fetch in this runtime for the dispatcher; pass options.fetch',
    );
  }
  return {
    token: options.token,
    baseUrl,
    base: baseUrl.href.replace(/\/+$/, ''),
    timeoutMs: nonNegative('timeoutMs', options.timeoutMs ?? 30_000),
    fetch: fetchImpl,
    dispatcher: options.dispatcher,
    logger: options.logger ?? silentLogger,
    retry,
    sleep: options.sleep ?? defaultSleep,
    now: options.now ?? Date.now,
    random: options.random ?? Math.random,
    maxResponseBytes: nonNegative('maxResponseBytes', options.maxResponseBytes ?? 32 * 1024 * 1024),
    trackingIdPrefix: options.trackingIdPrefix ?? 'herald',
  };
}

/**
 * The one request pipeline every resource goes through: bearer auth, JSON or multipart bodies, a
 * `trackingid` per call, a time limit per attempt, the caller's AbortSignal, and retries as the
 * `RetryPolicy` says (429 for any method after `Retry-After`; 5xx and network errors with capped
 * exponential backoff for idempotent requests only). Errors are split by origin, as grammY does:
 * `WebexApiError` (Webex answered), `WebexNetworkError` (no answer, or the time limit),
 * `AbortedError` (the caller's signal). The token never appears in an error or a log line.
 */
import { randomUUID } from 'node:crypto';
import { AbortedError, ProtocolError, UrlNotAllowedError, WebexNetworkError } from '../errors.js';
import { apiErrorFrom, ExchangeFailure, exchange, type ResponseHeaders } from '../http.js';
import { backoff, canRetry } from '../retry.js';
import type { ResolvedOptions } from './options.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

export type QueryValue = string | number | boolean | readonly string[] | undefined | null;

export interface RequestSpec {
  method: HttpMethod;
  /** Path below the base URL, e.g. `/rooms/<id>` (already URI-encoded), or… */
  path?: string | undefined;
  /** …an absolute URL (a `Link` next page). It must be on the base URL's origin. */
  url?: string | undefined;
  /** Query parameters; undefined and null are left out, arrays are joined with commas. */
  query?: Record<string, QueryValue> | undefined;
  /** A JSON body. */
  json?: unknown;
  /** A multipart body, built again for every attempt. */
  form?: (() => FormData) | undefined;
  /** Repeat this request after a 5xx or network error even if its method is not idempotent. */
  idempotent?: boolean | undefined;
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
  /** Largest body accepted, in bytes. Default the client's `maxResponseBytes`. */
  maxBytes?: number | undefined;
  /** `Accept` header. Default `application/json`. */
  accept?: string | undefined;
}

export interface PipelineResponse {
  status: number;
  headers: ResponseHeaders;
  body: Buffer;
  /** The URL that answered (after redirects). */
  url: string;
  /** The `trackingid` this client sent. */
  requestTrackingId: string;
}

export class Pipeline {
  private readonly session = randomUUID();
  private sequence = 0;

  constructor(readonly options: ResolvedOptions) {}

  /** Build the absolute URL of a spec; refuses absolute URLs on another origin. */
  resolveUrl(spec: Pick<RequestSpec, 'path' | 'url' | 'query'>): URL {
    let url: URL;
    if (spec.url !== undefined) {
      try {
        url = new URL(spec.url, `${this.options.base}/`);
      } catch {
        throw new ProtocolError('a server-sent URL could not be parsed');
      }
      // A URL the server sent must not take the token to another host (docs/protocol.md §7.1: next URLs are opaque).
      if (url.origin !== this.options.baseUrl.origin) throw new UrlNotAllowedError(url.href);
    } else {
      url = new URL(`${this.options.base}${spec.path ?? ''}`);
    }
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value === undefined || value === null) continue;
      url.searchParams.set(key, Array.isArray(value) ? value.join(',') : String(value));
    }
    return url;
  }

  /** Send a request, retrying as the policy allows; resolves with any 2xx answer, body read. */
  async request(spec: RequestSpec): Promise<PipelineResponse> {
    const url = this.resolveUrl(spec);
    const method = spec.method;
    const path = url.pathname;
    const what = `${method} ${path}`;
    const { retry, logger } = this.options;
    const signal = spec.signal;
    if (signal?.aborted) throw new AbortedError(what, { cause: signal.reason });
    const trackingId = `${this.options.trackingIdPrefix}_${this.session}_${++this.sequence}`;
    const idempotent = spec.idempotent === true || retry.idempotentMethods.includes(method);

    // `attempt` counts the tries made so far, 1-based, as `RetryPolicy.attempts` does.
    for (let attempt = 1; ; attempt++) {
      const started = this.options.now();
      let response: PipelineResponse;
      try {
        response = await this.attempt(url, spec, trackingId);
      } catch (err) {
        if (!(err instanceof ExchangeFailure)) throw err;
        if (err.kind === 'aborted') throw new AbortedError(what, { cause: err.cause });
        const { cause, timeout } = err;
        const reason = timeout
          ? `no answer within ${spec.timeoutMs ?? this.options.timeoutMs} ms`
          : describeNetworkError(cause);
        const networkError = new WebexNetworkError(method, path, reason, { cause, timeout });
        if (!idempotent || !canRetry(retry, networkError, attempt)) throw networkError;
        const waitMs = backoff(retry, attempt, this.options.random);
        logger.warn({ method, path, reason, attempt, waitMs, trackingId }, 'webex request failed; retrying');
        await this.wait(waitMs, signal, what);
        continue;
      }

      const status = response.status;
      logger.debug(
        {
          method,
          path,
          status,
          attempt,
          durationMs: this.options.now() - started,
          trackingId: response.headers.get('trackingid') ?? trackingId,
        },
        'webex request',
      );
      if (status >= 200 && status < 300) return response;

      const error = apiErrorFrom(method, path, response, this.options.now());
      let waitMs: number | undefined;
      if (status === 429) {
        // A 429 means the request was not processed, so any method may be repeated (§7.1).
        waitMs = (error.retryAfter ?? retry.rateLimitDefaultWaitS) * 1000;
      } else if (idempotent && retry.retryStatuses.includes(status)) {
        waitMs =
          error.retryAfter !== undefined
            ? error.retryAfter * 1000
            : backoff(retry, attempt, this.options.random);
      }
      if (waitMs === undefined || !canRetry(retry, error, attempt)) throw error;
      if (waitMs > retry.maxWaitS * 1000) {
        // Holding a call open for longer than the cap helps nobody; the caller gets `retryAfter`.
        logger.warn(
          { method, path, status, waitMs, trackingId: error.trackingId },
          'webex asked to wait too long',
        );
        throw error;
      }
      logger.warn(
        { method, path, status, attempt, waitMs, trackingId: error.trackingId },
        'webex answered with a retryable status; retrying',
      );
      await this.wait(waitMs, signal, what);
    }
  }

  /** `request`, then the body parsed as JSON (undefined for an empty body, e.g. 204). */
  async json<T>(spec: RequestSpec): Promise<{ data: T; response: PipelineResponse }> {
    const response = await this.request(spec);
    if (response.body.length === 0) return { data: undefined as T, response };
    try {
      return { data: JSON.parse(response.body.toString('utf8')) as T, response };
    } catch (cause) {
      throw new ProtocolError(
        `${spec.method} ${new URL(response.url).pathname} answered ${response.status} with a body that is not JSON`,
        { cause },
      );
    }
  }

  private async wait(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
    try {
      await this.options.sleep(ms, signal);
    } catch (cause) {
      if (signal?.aborted) throw new AbortedError(what, { cause: signal.reason });
      throw cause;
    }
    if (signal?.aborted) throw new AbortedError(what, { cause: signal.reason });
  }

  /** One HTTP exchange through the library's HTTP core, body included. */
  private async attempt(url: URL, spec: RequestSpec, trackingId: string): Promise<PipelineResponse> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.options.token}`,
      accept: spec.accept ?? 'application/json',
      trackingid: trackingId,
    };
    let body: string | FormData | undefined;
    if (spec.form) body = spec.form();
    else if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers['content-type'] = 'application/json;charset=utf-8';
    }
    const res = await exchange(this.options.fetch, {
      method: spec.method,
      url,
      headers,
      body,
      timeoutMs: spec.timeoutMs ?? this.options.timeoutMs,
      signal: spec.signal,
      dispatcher: this.options.dispatcher,
      maxBytes: spec.maxBytes ?? this.options.maxResponseBytes,
    });
    // The client's transports (a fetch, or `nodeTransport`) answer with headers that have `has` too.
    return { ...res, headers: res.headers as ResponseHeaders, requestTrackingId: trackingId };
  }
}

/** A short reason for a fetch failure: undici puts the system error (ECONNREFUSED, …) in `cause`. */
function describeNetworkError(err: unknown): string {
  const inner = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  if (inner instanceof Error) {
    const code = (inner as Error & { code?: unknown }).code;
    return typeof code === 'string' ? `${code} (${inner.message})` : inner.message;
  }
  return String(inner);
}

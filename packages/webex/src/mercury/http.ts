/**
 * The few HTTP calls the Mercury receiver makes itself (U2C, WDM, KMS, `/people/me`), sent through
 * the library's one HTTP core (`../http.ts`): the bearer header, the injected `fetch` or `nodeTransport`,
 * the proxy dispatcher and the error mapping live there. Bodies are bounded; paths in errors never
 * carry a query string or the token. These calls try once: retrying is the caller's (`setupCall`).
 */
import { AuthError, ProtocolError, ProxyError, WebexNetworkError } from '../errors.js';
import { apiErrorFrom, ExchangeFailure, exchange, type FetchLike } from '../http.js';

export type { FetchLike } from '../http.js';

export interface HttpOptions {
  token: string;
  fetch: FetchLike;
  /** Per-request timeout (ms). */
  timeoutMs: number;
  dispatcher?: unknown;
}

/** Longest response body read (bytes). */
export const MAX_BODY = 4 * 1024 * 1024;

export interface JsonResponse<T> {
  status: number;
  body: T;
}

/**
 * Send a request with the bearer token; parse JSON. Non-2xx → `WebexApiError` (401 → `AuthError`),
 * no answer → `WebexNetworkError`.
 */
export async function requestJson<T>(
  http: HttpOptions,
  method: string,
  url: string,
  body?: unknown,
  opts: { auth?: boolean } = {},
): Promise<JsonResponse<T>> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new WebexNetworkError(method, '(invalid url)', 'no answer');
  }
  const path = target.pathname;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.auth !== false) headers.authorization = `Bearer ${http.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Awaited<ReturnType<typeof exchange>>;
  try {
    res = await exchange(http.fetch, {
      method,
      url: target,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs: http.timeoutMs,
      dispatcher: http.dispatcher,
      maxBytes: MAX_BODY,
    });
  } catch (cause) {
    const inner = cause instanceof ExchangeFailure ? cause.cause : cause;
    // A refusing proxy says so itself, naming the proxy (without its credentials).
    if (inner instanceof ProxyError) throw inner;
    if (cause instanceof ProtocolError) throw new WebexNetworkError(method, path, 'response body too large');
    const timeout = cause instanceof ExchangeFailure && cause.timeout;
    throw new WebexNetworkError(method, path, timeout ? 'timed out' : 'no answer', { cause: inner, timeout });
  }
  if (res.status === 401) throw new AuthError(`${method} ${path} answered 401: the token was refused`);
  if (res.status < 200 || res.status > 299) throw apiErrorFrom(method, path, res, Date.now());
  let parsed: unknown;
  if (res.body.length > 0) {
    try {
      parsed = JSON.parse(res.body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
  }
  return { status: res.status, body: parsed as T };
}

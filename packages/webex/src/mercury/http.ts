/**
 * The few HTTP calls the Mercury receiver makes itself (U2C, WDM, KMS, `/people/me`). One place for
 * the bearer header, the injected `fetch`, the proxy dispatcher and the error mapping. Bodies are
 * bounded; paths in errors never carry a query string or the token.
 */
import { AuthError, WebexApiError, WebexNetworkError } from '../errors.js';

/** The subset of `fetch` the receiver needs; pass your own in injected mode. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponseLike>;

export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** undici dispatcher (e.g. a `ProxyAgent`); only passed to the built-in fetch. */
  dispatcher?: unknown;
}

export interface FetchResponseLike {
  status: number;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export interface HttpOptions {
  token: string;
  fetch: FetchLike;
  /** Per-request timeout (ms). */
  timeoutMs: number;
  dispatcher?: unknown;
}

/** Longest response body read (bytes of text). */
const MAX_BODY = 4 * 1024 * 1024;

export interface JsonResponse<T> {
  status: number;
  body: T;
}

function safePath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return '(invalid url)';
  }
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
  const path = safePath(url);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (opts.auth !== false) headers.authorization = `Bearer ${http.token}`;
  const init: FetchInit = { method, headers, signal: AbortSignal.timeout(http.timeoutMs) };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (http.dispatcher !== undefined) init.dispatcher = http.dispatcher;
  let res: FetchResponseLike;
  let text: string;
  try {
    res = await http.fetch(url, init);
    text = await res.text();
  } catch (cause) {
    const timeout = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
    throw new WebexNetworkError(method, path, timeout ? 'timed out' : 'no answer', { cause, timeout });
  }
  if (text.length > MAX_BODY) throw new WebexNetworkError(method, path, 'response body too large');
  let parsed: unknown;
  if (text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (res.status === 401) throw new AuthError(`${method} ${path} answered 401: the token was refused`);
  if (res.status < 200 || res.status > 299) {
    const b = (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
    throw new WebexApiError({
      status: res.status,
      method,
      path,
      message: typeof b.message === 'string' ? b.message : undefined,
      trackingId:
        (typeof b.trackingId === 'string' ? b.trackingId : undefined) ??
        res.headers.get('trackingid') ??
        undefined,
      body: parsed,
    });
  }
  return { status: res.status, body: parsed as T };
}

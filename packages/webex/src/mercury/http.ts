/**
 * The few HTTP calls the Mercury receiver makes itself (U2C, WDM, KMS, `/people/me`). One place for
 * the bearer header, the injected `fetch`, the proxy dispatcher and the error mapping. Bodies are
 * bounded; paths in errors never carry a query string or the token.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AuthError, ProxyError, WebexApiError, WebexNetworkError } from '../errors.js';
import { parseRetryAfter } from '../rest/headers.js';

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
    // A refusing proxy says so itself, naming the proxy (without its credentials).
    if (cause instanceof ProxyError) throw cause;
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
      retryAfter: parseRetryAfter(res.headers.get('retry-after')),
      body: parsed,
    });
  }
  return { status: res.status, body: parsed as T };
}

/**
 * A `FetchLike` on `node:http`/`node:https`, the default of native mode without a proxy dispatcher.
 * Why not the global `fetch`: its first use loads undici, about 13 MB of resident memory that a
 * connected, idle receiver otherwise does without (measured by `bench/mercury.bench.ts`; `ws` already
 * loads `node:https`). The body is capped like `requestJson`'s.
 */
export const nodeFetch: FetchLike = (url, init) =>
  new Promise<FetchResponseLike>((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch (err) {
      reject(err);
      return;
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') {
      reject(new TypeError(`unsupported protocol ${u.protocol}`));
      return;
    }
    const headers: Record<string, string | number> = { ...init.headers };
    const body = init.body === undefined ? undefined : Buffer.from(init.body, 'utf8');
    if (body) headers['content-length'] = body.length;
    const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(u, { method: init.method, headers, signal: init.signal }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const text = new Promise<string>((ok, fail) => {
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) {
            res.destroy(new Error('response body too large'));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => ok(Buffer.concat(chunks, size).toString('utf8')));
        res.on('error', fail);
        res.on('aborted', () => fail(new Error('response aborted')));
      });
      text.catch(() => {});
      resolve({
        status: res.statusCode ?? 0,
        headers: {
          get(name: string): string | null {
            const v = res.headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
          },
        },
        text: () => text,
      });
    });
    req.on('error', reject);
    req.end(body);
  });

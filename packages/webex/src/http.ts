/**
 * The library's one HTTP core: one exchange (request, answer, body read) under a time limit and the
 * caller's signal, with the proxy `dispatcher` handed to fetch, the body bounded, and failures told
 * apart (no answer, aborted, too large). The REST pipeline (`rest/pipeline.ts`, retries on top) and
 * Mercury's setup and KMS calls (`mercury/http.ts`) both send through it, and both turn a non-2xx
 * answer into a `WebexApiError` with `apiErrorFrom`.
 */
import { ProtocolError, WebexApiError } from './errors.js';
import { parseRetryAfter } from './rest/headers.js';

/** Response headers, as much of `Headers` as the library reads. */
export interface HeadersLike {
  get(name: string): string | null;
}

/** The headers of an answer the REST client hands out: what both `Headers` and `nodeTransport`'s have. */
export interface ResponseHeaders extends HeadersLike {
  has(name: string): boolean;
}

/** What a transport answers: a WHATWG `Response` fits; so does the library's `nodeTransport`. */
export interface FetchResponseLike {
  status: number;
  /** The URL that answered (after redirects), when the transport knows it. */
  url?: string;
  headers: HeadersLike;
  /** The body as a stream (fetch)… */
  body?: ReadableStream<Uint8Array> | null;
  /** …or read whole, `undefined` past `limit` bytes (`nodeTransport`)… */
  read?(limit: number): Promise<Buffer | undefined>;
  /** …or as text (a transport written for tests, say). */
  text?(): Promise<string>;
}

export interface FetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string | FormData;
  signal?: AbortSignal;
  redirect?: 'follow';
  /** undici dispatcher (e.g. a `ProxyAgent`); only passed to the built-in fetch. */
  dispatcher?: unknown;
}

/** The transport the core sends through: `nodeTransport` (node-http.ts), the global `fetch` or an injected one. */
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponseLike>;

export interface ExchangeSpec {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string | FormData | undefined;
  /** Time limit of the exchange, body included (ms); 0 means none. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** Proxy dispatcher for the built-in fetch. */
  dispatcher?: unknown;
  /** Largest body read (bytes); more fails with `ProtocolError`. */
  maxBytes: number;
}

export interface RawResponse {
  status: number;
  headers: HeadersLike;
  body: Buffer;
  url: string;
}

/** An exchange that ended without an answer: `aborted` by the caller's signal, else `network`. */
export class ExchangeFailure extends Error {
  constructor(
    readonly kind: 'aborted' | 'network',
    override readonly cause: unknown,
    readonly timeout: boolean,
  ) {
    super(kind);
  }
}

/** One HTTP exchange, body included. Throws `ExchangeFailure` or (body too large) `ProtocolError`. */
export async function exchange(fetch: FetchLike, spec: ExchangeSpec): Promise<RawResponse> {
  const controller = new AbortController();
  const callerSignal = spec.signal;
  let timedOut = false;
  const timer =
    spec.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          controller.abort(new Error('timeout'));
        }, spec.timeoutMs)
      : undefined;
  const onAbort = (): void => controller.abort(callerSignal?.reason);
  callerSignal?.addEventListener('abort', onAbort, { once: true });
  if (callerSignal?.aborted) onAbort();
  const init: FetchInit = {
    method: spec.method,
    headers: spec.headers,
    signal: controller.signal,
    redirect: 'follow',
  };
  if (spec.body !== undefined) init.body = spec.body;
  if (spec.dispatcher !== undefined) init.dispatcher = spec.dispatcher;
  const failure = (cause: unknown): ExchangeFailure =>
    callerSignal?.aborted
      ? new ExchangeFailure('aborted', callerSignal.reason, false)
      : new ExchangeFailure('network', cause, timedOut);
  try {
    let res: FetchResponseLike;
    try {
      res = await fetch(spec.url.href, init);
    } catch (cause) {
      throw failure(cause);
    }
    let body: Buffer;
    try {
      body = await readBody(res, spec.maxBytes, spec.url.pathname);
    } catch (cause) {
      if (cause instanceof ProtocolError) throw cause;
      throw failure(cause);
    }
    return { status: res.status, headers: res.headers, body, url: res.url || spec.url.href };
  } finally {
    if (timer) clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onAbort);
  }
}

/** Read a body into one Buffer, refusing more than `limit` bytes. */
async function readBody(res: FetchResponseLike, limit: number, path: string): Promise<Buffer> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await (res.read ? res.read(0) : res.body?.cancel())?.catch(() => {});
    throw new ProtocolError(`${path} answered with ${declared} bytes, over the limit of ${limit}`);
  }
  let bytes: Uint8Array | undefined;
  if (res.read) bytes = await res.read(limit);
  else if (res.body) bytes = await readStreamWithin(res.body, limit);
  else {
    const text = Buffer.from(res.text ? await res.text() : '', 'utf8');
    bytes = text.length > limit ? undefined : text;
  }
  if (!bytes) throw new ProtocolError(`${path} answered with more than ${limit} bytes`);
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Read a byte stream to its end, or stop (and cancel it) past `limit` bytes: `undefined` then.
 * Shared by the HTTP core (answers) and the fetch webhook adapter (request bodies).
 */
export async function readStreamWithin(
  stream: ReadableStream<Uint8Array>,
  limit: number,
): Promise<Uint8Array | undefined> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, size);
}

/** Build the `WebexApiError` of a non-2xx answer from its body and headers (docs/protocol.md §7.1). */
export function apiErrorFrom(
  method: string,
  path: string,
  response: Pick<RawResponse, 'status' | 'headers' | 'body'>,
  now: number,
): WebexApiError {
  let parsed: unknown;
  const contentType = response.headers.get('content-type') ?? '';
  if (response.body.length > 0 && (contentType.includes('json') || response.body[0] === 0x7b)) {
    try {
      parsed = JSON.parse(response.body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
  }
  const obj = parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : undefined;
  const message = typeof obj?.message === 'string' ? obj.message : undefined;
  const descriptions = Array.isArray(obj?.errors)
    ? obj.errors
        .map((e) => (e && typeof e === 'object' ? (e as Record<string, unknown>).description : undefined))
        .filter((d): d is string => typeof d === 'string')
    : [];
  const trackingId =
    (typeof obj?.trackingId === 'string' ? obj.trackingId : undefined) ??
    response.headers.get('trackingid') ??
    undefined;
  return new WebexApiError({
    status: response.status,
    method,
    path,
    message,
    descriptions,
    trackingId,
    retryAfter: parseRetryAfter(response.headers.get('retry-after'), now),
    body: parsed,
  });
}

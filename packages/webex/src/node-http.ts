/**
 * The library's default transport: a `FetchLike` on `node:http` and `node:https`, for the REST
 * client and the Mercury receiver's own calls when no `fetch` and no proxy dispatcher is given.
 *
 * Why not the global `fetch`: per call it costs about three times the CPU (WHATWG streams, an
 * AbortSignal and a Headers list per request; `bench/http.bench.ts` measures both against the
 * emulator), and its first use loads undici, about 13 MB of resident memory that an idle bot does
 * without. What fetch does that a bot relies on is done here too: keep-alive connections (Node's
 * global agents), redirects followed (the `Authorization` header dropped when the origin changes,
 * as the Fetch standard does), gzip, deflate and brotli answers decoded, multipart bodies (a
 * `FormData`, encoded by the platform's `Response`, so undici loads only when a file is sent) and
 * the caller's signal.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { FetchInit, FetchLike, FetchResponseLike, ResponseHeaders } from './http.js';

/** Redirects followed at most, as the Fetch standard says. */
const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** The default transport (see the file's header). */
export const nodeTransport: FetchLike = async (url, init) => {
  let target = new URL(url);
  let method = init.method.toUpperCase();
  const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br', ...init.headers };
  let body = await encodeBody(init.body, headers);
  for (let hops = 0; ; hops++) {
    const res = await send(target, method, headers, body, init.signal);
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (init.redirect !== 'follow' || !REDIRECTS.has(status) || !location) return answer(res, target, method);
    res.resume();
    if (hops === MAX_REDIRECTS) throw new TypeError(`more than ${MAX_REDIRECTS} redirects`);
    const next = new URL(location, target);
    // 303 turns any method but HEAD into a GET; so do 301 and 302 for a POST (Fetch standard, §4.4).
    if ((status === 303 && method !== 'HEAD') || ((status === 301 || status === 302) && method === 'POST')) {
      method = 'GET';
      body = undefined;
      for (const h of Object.keys(headers))
        if (/^content-(type|length|encoding|language|location)$/i.test(h)) delete headers[h];
    }
    // The credentials were meant for the origin that was asked, not for where it points.
    if (next.origin !== target.origin)
      for (const h of Object.keys(headers)) if (h.toLowerCase() === 'authorization') delete headers[h];
    target = next;
  }
};

/** The body as bytes; a `FormData` through the platform's encoder, which also gives its content type. */
async function encodeBody(
  body: FetchInit['body'],
  headers: Record<string, string>,
): Promise<Buffer | undefined> {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  const encoded = new Response(body);
  const type = encoded.headers.get('content-type');
  if (type) headers['content-type'] = type;
  return Buffer.from(await encoded.arrayBuffer());
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  signal: AbortSignal | undefined,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      reject(new TypeError(`unsupported protocol ${url.protocol}`));
      return;
    }
    const all: Record<string, string | number> = { ...headers };
    if (body) all['content-length'] = body.length;
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(url, { method, headers: all, signal }, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

function answer(res: IncomingMessage, url: URL, method: string): FetchResponseLike {
  // No body follows a HEAD, a 204 or a 304, whatever `content-encoding` says (a HEAD names the GET's).
  const bodiless = method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
  const headers: ResponseHeaders = {
    get(name) {
      const v = res.headers[name.toLowerCase()];
      return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
    },
    has: (name) => res.headers[name.toLowerCase()] !== undefined,
  };
  return {
    status: res.statusCode ?? 0,
    url: url.href,
    headers,
    read: (limit) => readAll(res, bodiless ? res : decoded(res), limit),
  };
}

/** The body as sent before its `content-encoding` (identity when there is none or it is unknown). */
function decoded(res: IncomingMessage): Readable {
  const encoding = res.headers['content-encoding']?.trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : undefined;
  if (!decoder) return res;
  res.on('error', (err) => decoder.destroy(err));
  return res.pipe(decoder);
}

/**
 * Read to the end, or stop past `limit` bytes (`undefined` then, the answer dropped). An answer
 * cut short (the connection closed, or the caller's signal destroyed it) rejects: its error
 * reaches `stream` through the decoder too (`decoded`).
 */
function readAll(res: IncomingMessage, stream: Readable, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const cut = () => {
      if (!settled) reject(new Error('the answer ended before its body did'));
    };
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        settled = true;
        stream.destroy();
        res.destroy();
        resolve(undefined);
        return;
      }
      chunks.push(c);
    });
    stream.on('end', () => {
      settled = true;
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
    stream.on('error', (err) => {
      settled = true;
      reject(err);
    });
    stream.on('close', cut);
  });
}

/**
 * Paged lists (docs/protocol.md §7.1 decision): `{items}` plus exactly one
 * `Link: <absolute url>; rel="next"` while more items remain. The next URL is the request URL with
 * an opaque `cursor` parameter (base64url of the offset into the same query's result).
 */
import { EmulatorHttpError } from '../state/world.js';
import type { RestEnv, Route } from './env.js';
import type { Reply, RestRequest } from './http.js';

export function parseMax(url: URL, fallback: number, upper: number): number {
  const raw = url.searchParams.get('max');
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > upper) {
    throw new EmulatorHttpError(400, `max must be an integer from 1 to ${upper}.`);
  }
  return n;
}

function offsetOf(url: URL): number {
  const raw = url.searchParams.get('cursor');
  if (raw === null) return 0;
  const m = /^o:(\d{1,9})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (!m) throw new EmulatorHttpError(400, 'Invalid cursor.');
  return Number(m[1]);
}

/** One page of `items` (already filtered and sorted) for `url`, with the next link when needed. */
export function page<T>(
  items: readonly T[],
  url: URL,
  baseUrl: string,
  max: number,
  view: (item: T) => unknown,
  extra?: Record<string, unknown>,
): Reply {
  const offset = offsetOf(url);
  const slice = items.slice(offset, offset + max);
  const headers: Record<string, string> = {};
  if (offset + max < items.length) {
    const next = new URL(url.pathname + url.search, baseUrl);
    next.searchParams.set('cursor', Buffer.from(`o:${offset + max}`).toString('base64url'));
    headers.Link = `<${next.href}>; rel="next"`;
  }
  return { status: 200, json: { items: slice.map(view), ...extra }, headers };
}

/** What a list answers: its items (filtered and sorted), how each is shown, fields beside `items`. */
export interface Listing<T> {
  items: readonly T[];
  view: (item: T) => unknown;
  extra?: Record<string, unknown> | undefined;
}

/**
 * A `GET` list route with the page size most lists have: `max` defaults to 100 and may be up to
 * 1000, and is checked before anything else in the request. `list` picks the items.
 */
export function listRoute<T>(pattern: string, list: (req: RestRequest, env: RestEnv) => Listing<T>): Route {
  return {
    method: 'GET',
    pattern,
    handler: (req, env) => {
      const max = parseMax(req.url, 100, 1000);
      const { items, view, extra } = list(req, env);
      return page(items, req.url, env.ctx.baseUrl(), max, view, extra);
    },
  };
}

/**
 * Lazy pagination over `Link: <…>; rel="next"` (docs/protocol.md §7.1). Nothing is sent
 * until iteration starts; every iteration starts again from the first page. A next URL is followed
 * exactly as given (it is an opaque cursor) but only on the base URL's origin (the pipeline
 * refuses others, so a server-sent URL cannot take the token elsewhere).
 */
import { ProtocolError } from '../errors.js';
import { nextLinkUrl } from './headers.js';
import type { Pipeline, RequestSpec } from './pipeline.js';
import type { ListResponse } from './types.js';

/** One page of a list, with the URL of the next one. */
export interface Page<T> extends ListResponse<T> {
  /** Absolute URL of the next page, undefined on the last page. */
  next: string | undefined;
}

/** The result of every `list…()` method: iterate items with `for await`, or pages with `pages()`. */
export class Paginated<T> implements AsyncIterable<T> {
  constructor(
    private readonly pipeline: Pipeline,
    private readonly firstSpec: RequestSpec,
  ) {}

  /** Pages in order; each page is one request. */
  async *pages(): AsyncGenerator<Page<T>, void, undefined> {
    let spec: RequestSpec = this.firstSpec;
    const seen = new Set<string>();
    for (;;) {
      const { data, response } = await this.pipeline.json<ListResponse<T>>(spec);
      if (!data || !Array.isArray(data.items)) {
        throw new ProtocolError(
          `${spec.method} ${new URL(response.url).pathname} answered without an items array`,
        );
      }
      const link = nextLinkUrl(response.headers.get('link'));
      const next = link === undefined ? undefined : new URL(link, response.url).href;
      const page: Page<T> = { ...data, next };
      yield page;
      if (next === undefined) return;
      if (seen.has(next)) throw new ProtocolError('pagination loops: a next link repeats an earlier page');
      seen.add(next);
      spec = { method: 'GET', url: next, signal: this.firstSpec.signal, timeoutMs: this.firstSpec.timeoutMs };
    }
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for await (const page of this.pages()) yield* page.items;
  }

  /** Every item (or the first `limit`), stopping requests once enough are collected. */
  async toArray(limit = Number.POSITIVE_INFINITY): Promise<T[]> {
    const out: T[] = [];
    if (limit <= 0) return out;
    for await (const item of this) {
      out.push(item);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The first item, fetching only the first page. */
  async first(): Promise<T | undefined> {
    return (await this.toArray(1))[0];
  }
}

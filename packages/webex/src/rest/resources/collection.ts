/**
 * The calls Webex answers the same way for every collection (docs/protocol.md §7.1): `GET` the
 * collection with a query, `POST` to it, and `GET`, `PUT`, `DELETE` one item by its id. A resource
 * checks its own arguments and hands the rest to these.
 */
import type { CallOptions, WriteCallOptions } from '../options.js';
import type { Paginated } from '../paginate.js';
import type { QueryValue } from '../pipeline.js';
import type { ResourceContext } from './context.js';
import { callSpec, defined, idSegment } from './util.js';

export class Collection<T> {
  /**
   * @param path The collection, e.g. `/rooms`.
   * @param idName The id's name in error messages, e.g. `roomId`.
   */
  constructor(
    private readonly ctx: ResourceContext,
    private readonly path: string,
    private readonly idName: string,
  ) {}

  /** `GET <path>`, every page. */
  list(query: Record<string, QueryValue>, options: CallOptions | undefined): Paginated<T> {
    return this.ctx.list<T>({ method: 'GET', path: this.path, query, ...callSpec(options) });
  }

  /** `GET <path>/{id}`. */
  get(id: string, options: CallOptions | undefined): Promise<T> {
    return this.ctx.json<T>({ method: 'GET', path: this.item(id), ...callSpec(options) });
  }

  /** `POST <path>` with the defined fields of `body`. */
  create(body: object, options: WriteCallOptions | undefined): Promise<T> {
    return this.ctx.json<T>({ method: 'POST', path: this.path, json: defined(body), ...callSpec(options) });
  }

  /** `PUT <path>/{id}` with the defined fields of `body`; `checkBody` runs once the id has passed. */
  update(id: string, body: object, options: CallOptions | undefined, checkBody?: () => void): Promise<T> {
    const path = this.item(id);
    checkBody?.();
    return this.ctx.json<T>({ method: 'PUT', path, json: defined(body), ...callSpec(options) });
  }

  /** `DELETE <path>/{id}`. */
  delete(id: string, options: CallOptions | undefined): Promise<void> {
    return this.ctx.empty({ method: 'DELETE', path: this.item(id), ...callSpec(options) });
  }

  /** `<path>/{id}`, the id checked and encoded. */
  private item(id: string): string {
    return `${this.path}/${idSegment(this.idName, id)}`;
  }
}

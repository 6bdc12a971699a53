/** People (docs/protocol.md §7.2). */
import type { CallOptions } from '../options.js';
import type { Paginated } from '../paginate.js';
import type { Person } from '../types.js';
import { Collection } from './collection.js';
import type { ResourceContext } from './context.js';
import { callSpec, queryOf } from './util.js';

export interface ListPeopleParams {
  /** Exact e-mail address; within the caller's organization only. */
  email?: string | undefined;
  /** Prefix match on the display name. */
  displayName?: string | undefined;
  /** PEOPLE ids (up to 85, sent comma-separated); presence is left out with `id`. */
  id?: readonly string[] | undefined;
  /** Organization to search (partner administrators). */
  orgId?: string | undefined;
  /** Include Webex Calling data (administrators). */
  callingData?: boolean | undefined;
  /** Page size (default 100 on the server). */
  max?: number | undefined;
}

export class PeopleResource {
  readonly #ctx: ResourceContext;
  readonly #people: Collection<Person>;

  constructor(ctx: ResourceContext) {
    this.#ctx = ctx;
    this.#people = new Collection<Person>(ctx, '/people', 'personId');
  }

  /** `GET /people/me`: the caller (for a bot, the bot itself). */
  async me(options?: CallOptions): Promise<Person> {
    return this.#ctx.json<Person>({ method: 'GET', path: '/people/me', ...callSpec(options) });
  }

  /** `GET /people/{personId}`. */
  async get(personId: string, options?: CallOptions): Promise<Person> {
    return this.#people.get(personId, options);
  }

  /**
   * `GET /people`. Non-administrators must give `email` or `displayName` (or `id`); the server
   * says so if not. The `notFoundIds` of an `id` lookup are on each page (`.pages()`).
   */
  list(params: ListPeopleParams = {}, options?: CallOptions): Paginated<Person> {
    const query = queryOf(params, ['email', 'displayName', 'id', 'orgId', 'callingData', 'max']);
    if (params.id?.length === 0) query.id = undefined; // `id=` would ask for no one
    return this.#people.list(query, options);
  }
}

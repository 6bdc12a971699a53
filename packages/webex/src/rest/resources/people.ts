/** People (docs/protocol.md §7.2). */
import type { CallOptions } from '../options.js';
import type { Paginated } from '../paginate.js';
import type { Person } from '../types.js';
import type { ResourceContext } from './context.js';
import { callSpec, idSegment } from './util.js';

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
  constructor(private readonly ctx: ResourceContext) {}

  /** `GET /people/me`: the caller (for a bot, the bot itself). */
  async me(options?: CallOptions): Promise<Person> {
    return this.ctx.json<Person>({ method: 'GET', path: '/people/me', ...callSpec(options) });
  }

  /** `GET /people/{personId}`. */
  async get(personId: string, options?: CallOptions): Promise<Person> {
    return this.ctx.json<Person>({
      method: 'GET',
      path: `/people/${idSegment('personId', personId)}`,
      ...callSpec(options),
    });
  }

  /**
   * `GET /people`. Non-administrators must give `email` or `displayName` (or `id`); the server
   * says so if not. The `notFoundIds` of an `id` lookup are on each page (`.pages()`).
   */
  list(params: ListPeopleParams = {}, options?: CallOptions): Paginated<Person> {
    return this.ctx.list<Person>({
      method: 'GET',
      path: '/people',
      query: {
        email: params.email,
        displayName: params.displayName,
        id: params.id && params.id.length > 0 ? params.id : undefined,
        orgId: params.orgId,
        callingData: params.callingData,
        max: params.max,
      },
      ...callSpec(options),
    });
  }
}

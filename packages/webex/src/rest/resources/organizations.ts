/** Organizations (docs/protocol.md §7.2; an Admin API path that a bot may use for its own org). */
import type { CallOptions } from '../options.js';
import type { Organization } from '../types.js';
import { Collection } from './collection.js';
import type { ResourceContext } from './context.js';

export class OrganizationsResource {
  readonly #organizations: Collection<Organization>;

  constructor(ctx: ResourceContext) {
    this.#organizations = new Collection<Organization>(ctx, '/organizations', 'orgId');
  }

  /** `GET /organizations/{orgId}`. */
  async get(orgId: string, options?: CallOptions): Promise<Organization> {
    return this.#organizations.get(orgId, options);
  }
}

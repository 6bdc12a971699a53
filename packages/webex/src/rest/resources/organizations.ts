/** Organizations (docs/protocol.md §7.2; an Admin API path that a bot may use for its own org). */
import type { CallOptions } from '../options.js';
import type { Organization } from '../types.js';
import type { ResourceContext } from './context.js';
import { callSpec, idSegment } from './util.js';

export class OrganizationsResource {
  constructor(private readonly ctx: ResourceContext) {}

  /** `GET /organizations/{orgId}`. */
  async get(orgId: string, options?: CallOptions): Promise<Organization> {
    return this.ctx.json<Organization>({
      method: 'GET',
      path: `/organizations/${idSegment('orgId', orgId)}`,
      ...callSpec(options),
    });
  }
}

/** Memberships (docs/protocol.md §7.3). */
import { InvalidArgumentError } from '../../errors.js';
import type { CallOptions, WriteCallOptions } from '../options.js';
import type { Paginated } from '../paginate.js';
import type { Membership } from '../types.js';
import { Collection } from './collection.js';
import type { ResourceContext } from './context.js';
import { exactlyOne, queryOf, requireString } from './util.js';

export interface ListMembershipsParams {
  /** Without it, the caller's own memberships (one per room it is in). */
  roomId?: string | undefined;
  /** Requires `roomId` (except for compliance officers). */
  personId?: string | undefined;
  /** Requires `roomId` (except for compliance officers). */
  personEmail?: string | undefined;
  /** Page size (default 100 on the server). */
  max?: number | undefined;
}

export interface CreateMembershipParams {
  roomId: string;
  /** One of `personId`, `personEmail`. */
  personId?: string | undefined;
  personEmail?: string | undefined;
  isModerator?: boolean | undefined;
}

export interface UpdateMembershipParams {
  isModerator?: boolean | undefined;
  isRoomHidden?: boolean | undefined;
}

export class MembershipsResource {
  readonly #memberships: Collection<Membership>;

  constructor(ctx: ResourceContext) {
    this.#memberships = new Collection<Membership>(ctx, '/memberships', 'membershipId');
  }

  /** `GET /memberships`. */
  list(params: ListMembershipsParams = {}, options?: CallOptions): Paginated<Membership> {
    return this.#memberships.list(queryOf(params, ['roomId', 'personId', 'personEmail', 'max']), options);
  }

  /** `GET /memberships/{membershipId}`. */
  async get(membershipId: string, options?: CallOptions): Promise<Membership> {
    return this.#memberships.get(membershipId, options);
  }

  /** `POST /memberships`. Adding someone twice answers 409 (§7.3). */
  async create(params: CreateMembershipParams, options?: WriteCallOptions): Promise<Membership> {
    requireString('roomId', params?.roomId);
    exactlyOne('memberships.create', { personId: params.personId, personEmail: params.personEmail });
    return this.#memberships.create(params, options);
  }

  /** `PUT /memberships/{membershipId}`. */
  async update(
    membershipId: string,
    params: UpdateMembershipParams,
    options?: CallOptions,
  ): Promise<Membership> {
    return this.#memberships.update(membershipId, params, options, () => {
      if (params?.isModerator === undefined && params?.isRoomHidden === undefined) {
        throw new InvalidArgumentError('memberships.update: give isModerator or isRoomHidden');
      }
    });
  }

  /** `DELETE /memberships/{membershipId}`. A bot deleting its own membership leaves the room. */
  async delete(membershipId: string, options?: CallOptions): Promise<void> {
    await this.#memberships.delete(membershipId, options);
  }
}

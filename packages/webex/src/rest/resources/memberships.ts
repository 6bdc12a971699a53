/** Memberships (docs/protocol.md §7.3). */
import { InvalidArgumentError } from '../../errors.js';
import type { CallOptions, WriteCallOptions } from '../options.js';
import type { Paginated } from '../paginate.js';
import type { Membership } from '../types.js';
import type { ResourceContext } from './context.js';
import { callSpec, defined, exactlyOne, idSegment, requireString } from './util.js';

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
  constructor(private readonly ctx: ResourceContext) {}

  /** `GET /memberships`. */
  list(params: ListMembershipsParams = {}, options?: CallOptions): Paginated<Membership> {
    return this.ctx.list<Membership>({
      method: 'GET',
      path: '/memberships',
      query: {
        roomId: params.roomId,
        personId: params.personId,
        personEmail: params.personEmail,
        max: params.max,
      },
      ...callSpec(options),
    });
  }

  /** `GET /memberships/{membershipId}`. */
  async get(membershipId: string, options?: CallOptions): Promise<Membership> {
    return this.ctx.json<Membership>({
      method: 'GET',
      path: `/memberships/${idSegment('membershipId', membershipId)}`,
      ...callSpec(options),
    });
  }

  /** `POST /memberships`. Adding someone twice answers 409 (§7.3). */
  async create(params: CreateMembershipParams, options?: WriteCallOptions): Promise<Membership> {
    requireString('roomId', params?.roomId);
    exactlyOne('memberships.create', { personId: params.personId, personEmail: params.personEmail });
    return this.ctx.json<Membership>({
      method: 'POST',
      path: '/memberships',
      json: defined(params),
      ...callSpec(options),
    });
  }

  /** `PUT /memberships/{membershipId}`. */
  async update(
    membershipId: string,
    params: UpdateMembershipParams,
    options?: CallOptions,
  ): Promise<Membership> {
    const path = `/memberships/${idSegment('membershipId', membershipId)}`;
    if (params?.isModerator === undefined && params?.isRoomHidden === undefined) {
      throw new InvalidArgumentError('memberships.update: give isModerator or isRoomHidden');
    }
    return this.ctx.json<Membership>({ method: 'PUT', path, json: defined(params), ...callSpec(options) });
  }

  /** `DELETE /memberships/{membershipId}`. A bot deleting its own membership leaves the room. */
  async delete(membershipId: string, options?: CallOptions): Promise<void> {
    await this.ctx.empty({
      method: 'DELETE',
      path: `/memberships/${idSegment('membershipId', membershipId)}`,
      ...callSpec(options),
    });
  }
}

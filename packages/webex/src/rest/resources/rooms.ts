/** Rooms, a.k.a. spaces (docs/protocol.md §7.3). */
import type { CallOptions, WriteCallOptions } from '../options.js';
import type { Paginated } from '../paginate.js';
import type { Room, RoomType } from '../types.js';
import { Collection } from './collection.js';
import type { ResourceContext } from './context.js';
import { queryOf, requireString } from './util.js';

export interface ListRoomsParams {
  /** Only rooms of this team. */
  teamId?: string | undefined;
  type?: RoomType | undefined;
  /** `id`, `lastactivity` or `created`. */
  sortBy?: 'id' | 'lastactivity' | 'created' | undefined;
  /** Page size, 1-1000 (default 100 on the server). */
  max?: number | undefined;
}

export interface CreateRoomParams {
  title: string;
  teamId?: string | undefined;
  classificationId?: string | undefined;
  /** The creator becomes moderator. */
  isLocked?: boolean | undefined;
  /** Requires `description`. */
  isPublic?: boolean | undefined;
  description?: string | undefined;
  /** Requires `isLocked`. */
  isAnnouncementOnly?: boolean | undefined;
}

export interface UpdateRoomParams {
  /** Required by Webex on every update. */
  title: string;
  classificationId?: string | undefined;
  teamId?: string | undefined;
  isLocked?: boolean | undefined;
  isPublic?: boolean | undefined;
  /** A single space clears it. */
  description?: string | undefined;
  /** Only when locked. */
  isAnnouncementOnly?: boolean | undefined;
  /** Compliance officers, direct rooms. */
  isReadOnly?: boolean | undefined;
}

export class RoomsResource {
  readonly #rooms: Collection<Room>;

  constructor(ctx: ResourceContext) {
    this.#rooms = new Collection<Room>(ctx, '/rooms', 'roomId');
  }

  /** `GET /rooms`: rooms the caller is in. */
  list(params: ListRoomsParams = {}, options?: CallOptions): Paginated<Room> {
    return this.#rooms.list(queryOf(params, ['teamId', 'type', 'sortBy', 'max']), options);
  }

  /** `GET /rooms/{roomId}`. */
  async get(roomId: string, options?: CallOptions): Promise<Room> {
    return this.#rooms.get(roomId, options);
  }

  /** `POST /rooms`. Direct rooms cannot be created here (send a message with `toPersonId`, §7.3). */
  async create(params: CreateRoomParams, options?: WriteCallOptions): Promise<Room> {
    requireString('title', params?.title);
    return this.#rooms.create(params, options);
  }

  /** `PUT /rooms/{roomId}`. */
  async update(roomId: string, params: UpdateRoomParams, options?: CallOptions): Promise<Room> {
    return this.#rooms.update(roomId, params, options, () => requireString('title', params?.title));
  }

  /** `DELETE /rooms/{roomId}`. For a non-moderator this only removes the caller (§7.3). */
  async delete(roomId: string, options?: CallOptions): Promise<void> {
    await this.#rooms.delete(roomId, options);
  }
}

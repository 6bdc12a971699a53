/** Rooms (docs/protocol.md §7.3). */

import type { Room } from '../state/types.js';
import { EmulatorHttpError } from '../state/world.js';
import { noContent, ok, optBool, optString, type Route, reqString } from './env.js';
import { restId, uuidOf } from './ids.js';
import { listRoute } from './paginate.js';
import { roomView } from './views.js';

const SORTS: Record<string, (a: Room, b: Room) => number> = {
  id: (a, b) => (restId('ROOM', a.id) < restId('ROOM', b.id) ? -1 : 1),
  lastactivity: (a, b) => (a.lastActivity === b.lastActivity ? 0 : a.lastActivity > b.lastActivity ? -1 : 1),
  created: (a, b) => (a.created === b.created ? 0 : a.created > b.created ? -1 : 1),
};

export const roomRoutes: Route[] = [
  listRoute<Room>('/rooms', (req, { world }) => {
    const q = req.url.searchParams;
    const type = q.get('type');
    if (type !== null && type !== 'direct' && type !== 'group') {
      throw new EmulatorHttpError(400, 'type must be direct or group.');
    }
    // Decision (§7.3 names no default order): without sortBy, rooms come in the order the caller joined them.
    const sortBy = q.get('sortBy');
    if (sortBy !== null && !(sortBy in SORTS))
      throw new EmulatorHttpError(400, 'sortBy must be id, lastactivity or created.');
    let rooms = world.roomsOf(req.me.id).filter((r) => type === null || r.type === type);
    if (sortBy) rooms = [...rooms].sort(SORTS[sortBy]);
    return { items: rooms, view: (r) => roomView(world, r, req.me.id) };
  }),
  {
    method: 'POST',
    pattern: '/rooms',
    handler: async (req, { world }) => {
      const body = await req.json();
      if (body.teamId !== undefined) throw new EmulatorHttpError(400, 'Teams are not emulated.');
      const room = world.createRoom(req.me.id, roomFields(body, reqString));
      return ok(roomView(world, room, req.me.id));
    },
  },
  {
    method: 'GET',
    pattern: '/rooms/{id}',
    handler: (req, { world }) => {
      const { room } = world.mustRoomOf(req.me.id, uuidOf(req.params.id, 'ROOM'));
      return ok(roomView(world, room, req.me.id));
    },
  },
  {
    method: 'PUT',
    pattern: '/rooms/{id}',
    // §7.3 marks title required on PUT; we accept a partial body (decision: lenient, nothing breaks).
    handler: async (req, { world }) => {
      const body = await req.json();
      const room = world.updateRoom(req.me.id, uuidOf(req.params.id, 'ROOM'), roomFields(body, optString));
      return ok(roomView(world, room, req.me.id));
    },
  },
  {
    method: 'DELETE',
    pattern: '/rooms/{id}',
    handler: (req, { world }) => {
      world.deleteRoom(req.me.id, uuidOf(req.params.id, 'ROOM'));
      return noContent();
    },
  },
];

/**
 * The fields a `POST` or `PUT /rooms` body may carry (§7.3): `title`, read with `title` (POST
 * requires it, PUT does not), and the optional settings.
 */
function roomFields<Title extends string | undefined>(
  body: Record<string, unknown>,
  title: (body: Record<string, unknown>, field: 'title') => Title,
) {
  return {
    title: title(body, 'title'),
    isLocked: optBool(body, 'isLocked'),
    isAnnouncementOnly: optBool(body, 'isAnnouncementOnly'),
    description: optString(body, 'description'),
  };
}

/** Memberships (docs/protocol.md §7.3). */

import type { Membership, Person } from '../state/types.js';
import { EmulatorHttpError, type World } from '../state/world.js';
import { noContent, ok, optBool, optString, type Route } from './env.js';
import { uuidOf } from './ids.js';
import { listRoute } from './paginate.js';
import { membershipView } from './views.js';

/** A MEMBERSHIP id -> the membership, visible to members of its room only (404 otherwise). */
function membershipFor(world: World, me: Person, id: string | undefined): Membership {
  const uuid = uuidOf(id, 'MEMBERSHIP');
  const [personId, roomId] = uuid.split(':');
  const m = personId && roomId ? world.membership(personId, roomId) : undefined;
  if (!m || !world.membership(me.id, m.roomId)) {
    throw new EmulatorHttpError(404, 'Could not find a membership with provided ID.');
  }
  return m;
}

function personRef(world: World, body: { personId?: string | null; personEmail?: string | null }): Person {
  if (body.personId) return world.mustPerson(uuidOf(body.personId, 'PEOPLE'));
  if (body.personEmail) {
    const p = world.personByEmail(body.personEmail);
    if (!p) throw new EmulatorHttpError(404, 'Could not find a person with provided email.');
    return p;
  }
  throw new EmulatorHttpError(400, 'personId or personEmail is required.');
}

export const membershipRoutes: Route[] = [
  listRoute<Membership>('/memberships', (req, { world }) => {
    const q = req.url.searchParams;
    const roomParam = q.get('roomId');
    const personId = q.get('personId');
    const personEmail = q.get('personEmail');
    let items: Membership[];
    if (roomParam === null) {
      // §7.3: personId/personEmail require roomId (except for compliance officers, not emulated).
      if (personId || personEmail)
        throw new EmulatorHttpError(400, 'personId and personEmail require roomId.');
      items = [...world.memberships.ofPerson(req.me.id)];
    } else {
      const { room } = world.mustRoomOf(req.me.id, uuidOf(roomParam, 'ROOM'));
      items = world.membersOf(room.id);
      if (personId || personEmail) {
        const p = personRef(world, { personId, personEmail });
        items = items.filter((m) => m.personId === p.id);
      }
    }
    return { items, view: (m) => membershipView(world, m) };
  }),
  {
    method: 'POST',
    pattern: '/memberships',
    handler: async (req, { world }) => {
      const body = await req.json();
      const roomId = uuidOf(body.roomId ?? '', 'ROOM');
      const person = personRef(world, {
        personId: optString(body, 'personId'),
        personEmail: optString(body, 'personEmail'),
      });
      const m = world.addMember(req.me.id, roomId, person.id, optBool(body, 'isModerator') ?? false);
      return ok(membershipView(world, m));
    },
  },
  {
    method: 'GET',
    pattern: '/memberships/{id}',
    handler: (req, { world }) => ok(membershipView(world, membershipFor(world, req.me, req.params.id))),
  },
  {
    method: 'PUT',
    pattern: '/memberships/{id}',
    // §7.3 decision: isModerator and isRoomHidden may each be given alone.
    handler: async (req, { world }) => {
      const m = membershipFor(world, req.me, req.params.id);
      const body = await req.json();
      const isModerator = optBool(body, 'isModerator');
      const isRoomHidden = optBool(body, 'isRoomHidden');
      if (isModerator === undefined && isRoomHidden === undefined) {
        throw new EmulatorHttpError(400, 'isModerator or isRoomHidden is required.');
      }
      const updated = world.updateMember(
        req.me.id,
        m.roomId,
        m.personId,
        isModerator ?? m.isModerator,
        isRoomHidden,
      );
      return ok(membershipView(world, updated));
    },
  },
  {
    method: 'DELETE',
    pattern: '/memberships/{id}',
    handler: (req, { world }) => {
      const m = membershipFor(world, req.me, req.params.id);
      world.removeMember(req.me.id, m.roomId, m.personId);
      return noContent();
    },
  },
];

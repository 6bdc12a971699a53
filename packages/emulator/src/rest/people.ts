/** People and organizations (docs/protocol.md §7.2). */
import { decodeId } from '@herald/webex';
import type { Person } from '../state/types.js';
import { EmulatorHttpError } from '../state/world.js';
import { ok, type Route } from './env.js';
import { uuidOf } from './ids.js';
import { listRoute } from './paginate.js';
import { orgView, personView } from './views.js';

export const peopleRoutes: Route[] = [
  { method: 'GET', pattern: '/people/me', handler: (req) => ok(personView(req.me)) },
  {
    method: 'GET',
    pattern: '/people/{id}',
    // §7.2: people outside the caller's org are readable (without presence, which we never send).
    handler: (req, { world }) => ok(personView(world.mustPerson(uuidOf(req.params.id, 'PEOPLE')))),
  },
  listRoute<Person>('/people', (req, { world }) => {
    const q = req.url.searchParams;
    const email = q.get('email');
    const displayName = q.get('displayName');
    const ids = q.get('id');
    // §7.2: non-admins (every emulated person) must give email or displayName (or id).
    if (!email && !displayName && !ids) {
      throw new EmulatorHttpError(400, 'Non-admin users must specify email, displayName or id.');
    }
    let items: Person[] = [...world.people.values()];
    const notFoundIds: string[] = [];
    if (ids) {
      const wanted = ids.split(',').filter((s) => s.length > 0);
      if (wanted.length > 85) throw new EmulatorHttpError(400, 'At most 85 ids may be given.');
      items = [];
      for (const id of wanted) {
        const d = decodeId(id);
        const p = d?.type === 'PEOPLE' ? world.people.get(d.uuid) : undefined;
        if (p) items.push(p);
        else notFoundIds.push(id);
      }
    }
    // §7.2, §7.8: e-mail lookup only within the caller's org.
    if (email)
      items = items.filter(
        (p) => p.orgId === req.me.orgId && p.emails.some((e) => e.toLowerCase() === email.toLowerCase()),
      );
    if (displayName) {
      const prefix = displayName.toLowerCase();
      items = items.filter((p) => p.displayName.toLowerCase().startsWith(prefix));
    }
    return { items, view: personView, extra: ids ? { notFoundIds } : undefined };
  }),
  {
    method: 'GET',
    pattern: '/organizations/{id}',
    handler: (req, { world }) => {
      const org = world.orgs.get(uuidOf(req.params.id, 'ORGANIZATION'));
      if (!org) throw new EmulatorHttpError(404, 'Could not find an organization with provided ID.');
      // §7.2 decision: a person (bot or user) may read its own org; other orgs are 403.
      if (org.id !== req.me.orgId)
        throw new EmulatorHttpError(403, 'Not authorized to read this organization.');
      return ok(orgView(org));
    },
  },
  {
    method: 'GET',
    pattern: '/organizations',
    handler: (req, { world }) => {
      const own = world.orgs.get(req.me.orgId);
      return ok({ items: own ? [orgView(own)] : [] });
    },
  },
];

/**
 * Webhook registrations (docs/protocol.md §7.7). Creator-owned: another person's webhook
 * answers 404. Delivery lives in `webhooks/`.
 */
import { decodeId } from '@herald/webex';
import type { Person, Webhook } from '../state/types.js';
import { EmulatorHttpError, type World } from '../state/world.js';
import { applyWebhookUpdate, validateWebhookCreate, validateWebhookUpdate } from '../webhooks/validate.js';
import { noContent, ok, type Route } from './env.js';
import { uuidOf } from './ids.js';
import { listRoute } from './paginate.js';
import { webhookView } from './views.js';

/** §7.7 (reported): filtering on a room the caller cannot access is refused. */
function checkRoomFilter(world: World, me: Person, filter: string | undefined): void {
  for (const pair of (filter ?? '').split('&')) {
    if (!pair.startsWith('roomId=')) continue;
    const d = decodeId(decodeURIComponent(pair.slice('roomId='.length)));
    if (d?.type !== 'ROOM' || !world.membership(me.id, d.uuid)) {
      throw new EmulatorHttpError(400, 'invalid value for filter: roomId');
    }
  }
}

export const webhookRoutes: Route[] = [
  listRoute<Webhook>('/webhooks', (req, { world }) => ({
    items: [...world.webhooks.values()].filter((h) => h.ownerPersonId === req.me.id),
    view: (h) => webhookView(world, h),
  })),
  {
    method: 'POST',
    pattern: '/webhooks',
    // Registration rules are shared with delivery (webhooks/validate.ts).
    handler: async (req, { world }) => {
      const input = validateWebhookCreate(await req.json());
      checkRoomFilter(world, req.me, input.filter);
      const hook = world.createWebhook(req.me.id, input);
      return ok(webhookView(world, hook));
    },
  },
  {
    method: 'GET',
    pattern: '/webhooks/{id}',
    handler: (req, { world }) =>
      ok(webhookView(world, world.webhookOf(req.me.id, uuidOf(req.params.id, 'WEBHOOK')))),
  },
  {
    method: 'PUT',
    pattern: '/webhooks/{id}',
    handler: async (req, { world }) => {
      const id = uuidOf(req.params.id, 'WEBHOOK');
      const hook = world.webhookOf(req.me.id, id);
      // §7.7: name and targetUrl required; only name, targetUrl, secret and status=active change.
      applyWebhookUpdate(hook, validateWebhookUpdate(await req.json()));
      return ok(webhookView(world, hook));
    },
  },
  {
    method: 'DELETE',
    pattern: '/webhooks/{id}',
    handler: (req, { world }) => {
      world.deleteWebhook(req.me.id, uuidOf(req.params.id, 'WEBHOOK'));
      return noContent();
    },
  },
];

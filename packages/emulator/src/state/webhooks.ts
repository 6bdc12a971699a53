/**
 * Webhook registrations (delivery is `src/webhooks/`). Registrations are not part of the `Change`
 * union: they are configuration, not happenings.
 */
import { EmulatorHttpError } from './errors.js';
import type { Webhook } from './types.js';
import type { WorldState } from './world-state.js';

export type NewWebhook = Pick<Webhook, 'name' | 'targetUrl' | 'resource' | 'event' | 'filter' | 'secret'>;

export interface WebhookPatch {
  name?: string;
  targetUrl?: string;
  secret?: string;
  status?: 'active';
}

export function createWebhook(w: WorldState, ownerPersonId: string, input: NewWebhook): Webhook {
  const hook: Webhook = {
    id: w.uuid(),
    ownerPersonId,
    name: input.name,
    targetUrl: input.targetUrl,
    resource: input.resource,
    event: input.event,
    filter: input.filter,
    secret: input.secret,
    status: 'active',
    ownedBy: 'creator',
    created: w.nowIso(),
    failures: 0,
  };
  w.webhooks.set(hook.id, hook);
  return hook;
}

/** `actorId`'s webhook; 404 for anyone else's (webhooks are creator-owned, docs/protocol.md §7.8). */
export function webhookOf(w: WorldState, actorId: string, id: string): Webhook {
  const hook = w.webhooks.get(id);
  if (!hook || hook.ownerPersonId !== actorId)
    throw new EmulatorHttpError(404, 'Could not find a webhook with provided ID.');
  return hook;
}

export function updateWebhook(w: WorldState, actorId: string, id: string, patch: WebhookPatch): Webhook {
  const hook = webhookOf(w, actorId, id);
  if (patch.name !== undefined) hook.name = patch.name;
  if (patch.targetUrl !== undefined) hook.targetUrl = patch.targetUrl;
  if (patch.secret !== undefined) hook.secret = patch.secret;
  // §7.7 decision: PUT status=active re-activates and resets the failure counter.
  if (patch.status === 'active') {
    hook.status = 'active';
    hook.failures = 0;
  }
  return hook;
}

export function deleteWebhook(w: WorldState, actorId: string, id: string): void {
  webhookOf(w, actorId, id);
  w.webhooks.delete(id);
}

/** Webhook delivery reports each attempt; `threshold` consecutive failures deactivate (§7.7 decision). */
export function recordDelivery(w: WorldState, id: string, ok: boolean, threshold: number): void {
  const hook = w.webhooks.get(id);
  if (!hook) return;
  if (ok) {
    hook.failures = 0;
    return;
  }
  hook.failures += 1;
  if (hook.failures >= threshold) hook.status = 'inactive';
}

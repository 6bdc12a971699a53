/**
 * The delivery body (docs/protocol.md §8.1, §8.3): compact JSON, keys in exactly the captured
 * order `id, name, targetUrl, resource, event, filter?, orgId, createdBy, appId, ownedBy, status,
 * created, actorId, data`. Receivers that re-serialise to verify (NBF) depend on that order. `data`
 * never holds message text or card inputs (§8.3); `secret` is never in the body (§8.2).
 */
import { encodeId } from '@herald/webex';
import { attachmentActionView, EMULATOR_APP_UUID, membershipView } from '../rest/views.js';
import type { Change, Webhook } from '../state/types.js';
import type { World } from '../state/world.js';
import type { MessagingResource } from './filter.js';

/** The application id Webex puts in envelopes (§7.7): the same one REST shows on webhook objects. */
export const EMULATOR_APP_ID = encodeId('APPLICATION', EMULATOR_APP_UUID);

export function envelopeJson(
  world: World,
  webhook: Webhook,
  change: Change,
  resource: MessagingResource,
  event: string,
): { json: string; dataId: string } {
  const owner = world.people.get(webhook.ownerPersonId);
  const envelope = {
    id: encodeId('WEBHOOK', webhook.id),
    name: webhook.name,
    targetUrl: webhook.targetUrl,
    // The happening's own resource/event, also under a firehose webhook (receivers switch on them).
    resource,
    event,
    filter: webhook.filter || undefined,
    orgId: owner ? encodeId('ORGANIZATION', owner.orgId) : undefined,
    createdBy: encodeId('PEOPLE', webhook.ownerPersonId),
    appId: EMULATOR_APP_ID,
    ownedBy: webhook.ownedBy,
    status: webhook.status,
    created: webhook.created,
    actorId: encodeId('PEOPLE', change.actorId),
    data: changeData(world, change),
  };
  return { json: JSON.stringify(envelope), dataId: String(envelope.data.id) };
}

/** `data` per resource (§8.3). */
export function changeData(world: World, change: Change): Record<string, unknown> {
  switch (change.kind) {
    case 'message.created':
    case 'message.updated':
    case 'message.deleted': {
      const m = change.message;
      const room = world.rooms.get(m.roomId);
      const sender = world.people.get(m.personId);
      return {
        id: encodeId('MESSAGE', m.id),
        roomId: encodeId('ROOM', m.roomId),
        roomType: room?.type ?? 'group',
        personId: encodeId('PEOPLE', m.personId),
        personEmail: sender?.emails[0],
        // *Reported* for group rooms (§8.3); ids only, no content.
        mentionedPeople:
          room?.type === 'group' && m.mentionedPeople.length > 0
            ? m.mentionedPeople.map((p) => encodeId('PEOPLE', p))
            : undefined,
        created: m.created,
        // Emulator decision: edits carry `updated`, so receivers can tell two edits apart.
        updated: change.kind === 'message.updated' ? m.updated : undefined,
      };
    }
    case 'membership.created':
    case 'membership.updated':
    case 'membership.deleted':
      // The same object REST shows (§7.2).
      return membershipView(world, change.membership);
    case 'room.created':
    case 'room.updated': {
      const r = change.room;
      // `title` is unconfirmed in webhook data (§8.3) and left out.
      return {
        id: encodeId('ROOM', r.id),
        type: r.type,
        isLocked: r.isLocked,
        lastActivity: r.lastActivity,
        creatorId: encodeId('PEOPLE', r.creatorId),
        created: r.created,
      };
    }
    case 'attachmentAction.created': {
      // No `inputs` and no `personEmail` (§7.5, §8.3).
      const { inputs: _inputs, ...data } = attachmentActionView(change.action);
      return data;
    }
  }
}

/**
 * The bot added to a space (github.com/JardaMartan/broadcast_bot), with the original's defects fixed: only
 * the bot's OWN membership counts (D11); a space of another org gets the notice and the bot leaves
 * even when the notice is refused (D13) and even when the org name cannot be read (D14); in an
 * announcement-only space the bot asks the person who added it to make it a moderator only when it
 * is not one already (D12), and only once per space.
 */
import { type MembershipCreatedEvent, sameId, WebexApiError, type WebexClient } from '@herald/webex';
import { spaceLink } from './compose.js';
import type { BroadcastConfig } from './config.js';
import { fill, type Templates } from './locales.js';
import type { BotSelf } from './policy.js';
import { membershipAllowed } from './policy.js';
import type { Store } from './store/store.js';

export interface MembershipDeps {
  client: WebexClient;
  store: Store;
  config: BroadcastConfig;
  templates: Templates;
  bot: BotSelf;
  /** The bot's org name for the notice; looked up once when first needed. */
  orgName: () => Promise<string>;
  now: () => number;
  log: (level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, msg: string) => void;
}

export type MembershipOutcome = 'ignored' | 'left' | 'asked_moderator' | 'stayed';

function text(err: unknown): string {
  return err instanceof WebexApiError ? `${err.status} ${err.apiMessage ?? ''}`.trim() : String(err);
}

export async function onBotAdded(
  deps: MembershipDeps,
  event: MembershipCreatedEvent,
): Promise<MembershipOutcome> {
  const { client, store, bot } = deps;
  if (!sameId(event.data.personId, bot.id)) return 'ignored';
  const room = await client.rooms.get(event.data.roomId);
  if (!membershipAllowed(deps.config, room.ownerId, bot.orgId)) {
    const orgName = await deps.orgName();
    try {
      await client.messages.create({
        roomId: room.id,
        markdown: fill(deps.templates.outside_org, { orgName }),
      });
    } catch (err) {
      deps.log('info', { room: room.id, error: text(err) }, 'outside-org notice refused; leaving anyway');
    }
    try {
      await client.memberships.delete(event.data.id);
    } catch (err) {
      deps.log('warn', { room: room.id, error: text(err) }, 'could not leave a space of another org');
      throw err;
    }
    deps.log('info', { room: room.id }, 'left a space owned by another org');
    return 'left';
  }
  if (room.isAnnouncementOnly && !event.data.isModerator && event.actorId && !sameId(event.actorId, bot.id)) {
    if (await store.noticeOnce(room.id, 'moderator_request', deps.now())) {
      const markdown = fill(deps.templates.space_moderated, {
        title: room.title ?? '',
        url: spaceLink(room.id),
      });
      try {
        await client.messages.create({ toPersonId: event.actorId, markdown });
      } catch (err) {
        deps.log('warn', { room: room.id, error: text(err) }, 'could not ask for moderator rights');
      }
      return 'asked_moderator';
    }
  }
  return 'stayed';
}

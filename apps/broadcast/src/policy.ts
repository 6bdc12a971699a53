/**
 * Who may broadcast, where copies go, and where the bot may stay: pure functions of the config
 * and the identities involved (webex-rest-webhooks.md §5.6, §5.7, §5.9), with the original's
 * defects fixed (D7 echo into the source room, D8 copy to the sender, D16 sender-list semantics).
 */
import { sameId } from '@herald/webex';
import type { BroadcastConfig } from './config.js';

export interface Identity {
  id: string;
  orgId: string;
  emails: string[];
}

export interface Destination {
  id: string;
  type: 'direct' | 'group';
  /** ORGANIZATION id owning the room, when Webex gives one. */
  ownerId?: string | undefined;
  title?: string | undefined;
}

export type SenderDecision =
  | { allowed: true }
  | { allowed: false; reason: 'not_in_bots_org' | 'not_in_sender_list' };

export function senderDecision(config: BroadcastConfig, sender: Identity, bot: Identity): SenderDecision {
  if (config.source.bots_own_org && !sameId(sender.orgId, bot.orgId))
    return { allowed: false, reason: 'not_in_bots_org' };
  if (config.source.from_sender_list) {
    const allowed = new Set(config.source.sender_list.map((e) => e.toLowerCase()));
    if (!sender.emails.some((e) => allowed.has(e.toLowerCase()))) {
      return { allowed: false, reason: 'not_in_sender_list' };
    }
  }
  return { allowed: true };
}

export interface DestinationContext {
  bot: Identity;
  sender: Identity;
  /** The space the message was sent in: never a destination. */
  sourceRoomId: string;
  /** The sender's 1-1 with the bot, when known: a destination only when configured. */
  senderDirectRoomId?: string | undefined;
}

/**
 * Whether a room the bot is in gets a copy. The org checks compare the room's `ownerId`; a room
 * without one (Webex does not document `ownerId` for 1-1 rooms, §2.3) fails them, so an org policy
 * never sends where it cannot tell who owns the room.
 */
export function isDestination(config: BroadcastConfig, room: Destination, ctx: DestinationContext): boolean {
  if (sameId(room.id, ctx.sourceRoomId)) return false;
  if (!config.destination.include_sender_direct && sameId(room.id, ctx.senderDirectRoomId)) return false;
  if (config.destination.bots_own_org && !sameId(room.ownerId, ctx.bot.orgId)) return false;
  if (config.destination.senders_own_org && !sameId(room.ownerId, ctx.sender.orgId)) return false;
  return true;
}

/** Whether the bot may stay in a space owned by `roomOwnerId`. */
export function membershipAllowed(
  config: BroadcastConfig,
  roomOwnerId: string | undefined,
  botOrgId: string,
): boolean {
  return !config.membership.bots_own_org || sameId(roomOwnerId, botOrgId);
}

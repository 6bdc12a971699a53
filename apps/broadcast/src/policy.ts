/**
 * Who may broadcast, where copies go, and where the bot may stay: pure functions of the config
 * and the identities involved (github.com/JardaMartan/broadcast_bot), with the original's
 * defects fixed (D7 echo into the source room, D8 copy to the sender, D16 sender-list semantics).
 */
import { sameId } from '@herald/webex';
import type { BroadcastConfig } from './config.js';

export interface Identity {
  id: string;
  orgId: string;
  emails: string[];
}

/** The bot itself, as `BroadcastBot.init` reads it from `/people/me`. */
export interface BotSelf extends Identity {
  displayName: string;
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
 * without one (Webex does not document `ownerId` for 1-1 rooms, docs/protocol.md §7.3) fails them, so an org policy
 * never sends where it cannot tell who owns the room.
 */
export function isDestination(config: BroadcastConfig, room: Destination, ctx: DestinationContext): boolean {
  if (sameId(room.id, ctx.sourceRoomId)) return false;
  // The approvers' space is the bot's control room, never an audience.
  if (config.approval.room_id !== '' && sameId(room.id, config.approval.room_id)) return false;
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

function listed(list: readonly string[], emails: readonly string[]): boolean {
  const wanted = new Set(list.map((e) => e.toLowerCase()));
  return emails.some((e) => wanted.has(e.toLowerCase()));
}

/** A configured admin (`admins`), by any of the person's addresses. */
export function isAdmin(config: BroadcastConfig, emails: readonly string[]): boolean {
  return listed(config.admins, emails);
}

/** Only the original sender or a configured admin may recall a broadcast. */
export function mayRecall(
  config: BroadcastConfig,
  actor: { id: string; emails: readonly string[] },
  senderId: string,
): boolean {
  return sameId(actor.id, senderId) || isAdmin(config, actor.emails);
}

/** With approval on, broadcasts of senders not in `approval.trusted_senders` wait for an approver. */
export function needsApproval(config: BroadcastConfig, senderEmails: readonly string[]): boolean {
  return config.approval.enabled && !listed(config.approval.trusted_senders, senderEmails);
}

/** An approver is anyone in the approvers' space (the card's room proves it) except the sender. */
export function mayDecide(
  config: BroadcastConfig,
  action: { personId: string; roomId: string },
  senderId: string,
): boolean {
  return (
    config.approval.room_id !== '' &&
    sameId(action.roomId, config.approval.room_id) &&
    !sameId(action.personId, senderId)
  );
}

/** What a broadcast carries, as stored with its plan. */
import type { CardAttachment } from '@herald/webex';

/** The incoming message, as recorded when the broadcast is created. */
export interface BroadcastRequest {
  messageId: string;
  roomId: string;
  roomType: 'direct' | 'group';
  personId: string;
  personEmail: string;
  text: string;
  html?: string | undefined;
  markdown?: string | undefined;
  files: string[];
  attachments: CardAttachment[];
  created: string;
  transport: 'mercury' | 'webhook';
  /** Thread parent: `recall` in a thread names the broadcast to recall. */
  parentId?: string | undefined;
}

export interface BroadcastContent {
  /** Markdown of a copy in a group space (sender @mentioned). */
  group: string;
  /** Markdown of a copy in a 1-1 (sender's name and e-mail). */
  direct: string;
  /** A card: the sender's own card, or their JSON file read as one. */
  card?: CardAttachment | undefined;
  /** The first file, stored beside the broadcast; sent as a file (or as the card's fallback). */
  file?: { name: string; contentType: string } | undefined;
  /** Why the request's file is not carried (it could not be downloaded in time); absent when it is. */
  fileLeftOut?: string | undefined;
  sender: { id: string; displayName: string; email: string };
  /** Decided at planning: a preview's Send goes to the approvers first. */
  needsApproval?: boolean | undefined;
}

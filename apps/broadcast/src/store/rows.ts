/** The shapes the store hands out and takes in, shared by its parts and its callers. */
import type { BroadcastsTable, DeliveriesTable } from './schema.js';

export type BroadcastRow = BroadcastsTable;
export type DeliveryRow = Omit<DeliveriesTable, 'id'> & { id: number };

export interface NewBroadcast {
  id: string;
  sourceMessageId: string;
  sourceRoomId: string;
  senderId: string;
  request: unknown;
  /** Default `broadcast`. */
  kind?: 'broadcast' | 'command' | undefined;
}

export interface PlannedDelivery {
  roomId: string;
  roomType: 'direct' | 'group';
  title?: string | undefined;
  /** Known before sending (e.g. `not_moderator`). */
  note?: string | undefined;
}

/** What a plan leads to: copies go out now, or wait for a preview's Send or an approval. */
export type PlanStatus = 'sending' | 'previewed' | 'awaiting_approval';

export interface StoredFile {
  name: string;
  contentType: string;
  bytes: Buffer;
}

export interface DeliveryCounts {
  held: number;
  pending: number;
  sending: number;
  sent: number;
  failed: number;
  cancelled: number;
}

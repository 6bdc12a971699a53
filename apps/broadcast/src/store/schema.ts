/** Table types of the store. Times are milliseconds since the epoch. */
import type { Generated } from 'kysely';

export type BroadcastStatus = 'received' | 'sending' | 'reporting' | 'done' | 'refused';
export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed';

export interface SeenEventsTable {
  key: string;
  created_at: number;
}

export interface BroadcastsTable {
  id: string;
  source_message_id: string;
  source_room_id: string;
  sender_id: string;
  status: BroadcastStatus;
  /** JSON: the incoming message as received (BroadcastRequest). */
  request: string;
  /** JSON: what each copy carries (BroadcastContent), once planned. */
  content: string | null;
  total: number;
  /** Why a broadcast was refused, or a planning error. */
  note: string | null;
  report_message_id: string | null;
  lease_owner: string | null;
  lease_until: number | null;
  attempts: number;
  created_at: number;
  updated_at: number;
}

export interface FilesTable {
  broadcast_id: string;
  name: string;
  content_type: string;
  bytes: Buffer;
}

export interface DeliveriesTable {
  id: Generated<number>;
  broadcast_id: string;
  room_id: string;
  room_type: 'direct' | 'group';
  room_title: string | null;
  status: DeliveryStatus;
  attempts: number;
  not_before: number;
  lease_owner: string | null;
  lease_until: number | null;
  message_id: string | null;
  error: string | null;
  updated_at: number;
}

export interface NoticesTable {
  room_id: string;
  kind: string;
  created_at: number;
}

export interface DirectRoomsTable {
  person_id: string;
  room_id: string;
}

export interface Database {
  seen_events: SeenEventsTable;
  broadcasts: BroadcastsTable;
  files: FilesTable;
  deliveries: DeliveriesTable;
  notices: NoticesTable;
  direct_rooms: DirectRoomsTable;
}

/** Table types of the store. Times are milliseconds since the epoch. */
import type { Generated } from 'kysely';

/**
 * `received` → planned into one of: `sending` (copies go out) · `previewed` (a dry run waiting for
 * the sender's Send button) · `awaiting_approval` (waiting for an approver) → `reporting` → `done`;
 * or `refused` / `rejected`. A command (`recall`) is recorded as a row of kind `command`, `done`.
 */
export type BroadcastStatus =
  | 'received'
  | 'sending'
  | 'previewed'
  | 'awaiting_approval'
  | 'rejected'
  | 'reporting'
  | 'done'
  | 'refused';
/** `held`: planned but waiting for a preview's Send or an approval; `cancelled`: recalled before it went out. */
export type DeliveryStatus = 'held' | 'pending' | 'sending' | 'sent' | 'failed' | 'cancelled';
export type RecallState = 'requested' | 'done';
export type CopyTaskKind = 'delete' | 'edit';
export type CopyTaskStatus = 'pending' | 'working' | 'done' | 'failed' | 'skipped';

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
  /** `broadcast`, or `command` for a recall request recorded for dedupe. */
  kind: 'broadcast' | 'command';
  /** Incremented by each edit of the source message; copies carry the version they show. */
  content_version: number;
  /** The report card is re-posted while `report_wanted > report_done`. */
  report_wanted: number;
  report_done: number;
  /** Last progress quarter reported while sending. */
  report_milestone: number;
  /** The preview card (sender's 1-1) or the approval card (approvers' space). */
  control_message_id: string | null;
  /** Who approved or rejected (PEOPLE id). */
  decided_by: string | null;
  recall_state: RecallState | null;
  recall_by: string | null;
  /** `propagating` while an edit of the source is being applied to the copies. */
  edit_state: 'propagating' | null;
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
  /** The content version this copy shows. */
  content_version: number;
  /** Edits made to this copy (Webex allows 10, docs/protocol.md §7.4). */
  edit_count: number;
  /** 0 when the copy carries a file or a card (Webex cannot edit those, §7.4). */
  editable: number;
  /** Known before sending, e.g. `not_moderator` for an announcement-only space (preview). */
  note: string | null;
}

/** Work on a copy already sent: delete it (recall) or edit it (edit propagation). */
export interface CopyTasksTable {
  id: Generated<number>;
  broadcast_id: string;
  delivery_id: number;
  kind: CopyTaskKind;
  /** For edits, the content version to show; 0 for deletes. */
  version: number;
  status: CopyTaskStatus;
  /** `deleted`, `gone` (already deleted), `edited`. */
  result: string | null;
  attempts: number;
  not_before: number;
  lease_owner: string | null;
  lease_until: number | null;
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

/** A token bucket shared by the instances of one bot (times in the database's clock, ms). */
export interface RateBudgetTable {
  key: string;
  rate: number;
  capacity: number;
  tokens: number;
  refilled_at: number;
  paused_until: number;
}

export interface Database {
  seen_events: SeenEventsTable;
  broadcasts: BroadcastsTable;
  files: FilesTable;
  deliveries: DeliveriesTable;
  copy_tasks: CopyTasksTable;
  notices: NoticesTable;
  direct_rooms: DirectRoomsTable;
  rate_budget: RateBudgetTable;
}

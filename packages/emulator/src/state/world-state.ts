/**
 * What the rule modules (lookups, visibility, rooms, messages, cards, webhooks) see of a world: its
 * entities, its clock and id generator, and the commit point. `World` is the one implementation and
 * the one public façade; the rules are plain functions over this interface.
 */
import type { SeedTarget } from './seed.js';
import type { AttachmentAction, Change, Message, StoredFile, Webhook } from './types.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type ChangeInput = DistributiveOmit<Change, 'seq'>;

export interface WorldState extends SeedTarget {
  readonly messages: Map<string, Message>;
  readonly files: Map<string, StoredFile>;
  readonly attachmentActions: Map<string, AttachmentAction>;
  readonly webhooks: Map<string, Webhook>;
  /** The clock as a wire timestamp, `YYYY-MM-DDTHH:MM:SS.mmmZ` (docs/protocol.md §7.1). */
  nowIso(): string;
  uuid(): string;
  /** Commit point: stamp and emit one change. */
  emit(change: ChangeInput): Change;
}

/**
 * De-duplication of webhook deliveries. Webex may deliver the same event twice (overlapping
 * webhooks, infrastructure retries; docs/protocol.md §8.5), and there is no delivery id, so
 * the key is built from the envelope: `resource`, `event` and `data.id` (§8.5), plus a digest of
 * `data` for `updated` events, because every edit of the same object is its own event.
 */
import { createHash } from 'node:crypto';

/**
 * Remembers delivery keys. `seen(key)` records the key and answers whether it had been recorded
 * before. Implement it over a shared store (Redis, SQL) to dedupe across several instances.
 */
export interface DedupeStore {
  seen(key: string): boolean | Promise<boolean>;
}

export interface MemoryDedupeStoreOptions {
  /** Keys remembered; the least recently seen is forgotten first. Default 10000. */
  maxKeys?: number | undefined;
}

/**
 * The default store: in memory, bounded, least-recently-seen keys forgotten first. Two generations
 * of at most `maxKeys / 2` keys each: a key seen again moves to the young generation; when the young
 * one is full the old one is dropped whole. O(1) per call and no per-key eviction (deleting the
 * oldest entry of one big Set leaves holes its iterator must skip, which showed in the bench).
 * Remembers between `maxKeys / 2` and `maxKeys` keys.
 */
export class MemoryDedupeStore implements DedupeStore {
  readonly maxKeys: number;
  #young = new Set<string>();
  #old = new Set<string>();

  constructor(options: MemoryDedupeStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? 10_000;
    if (!Number.isInteger(maxKeys) || maxKeys < 2) throw new RangeError('maxKeys must be an integer ≥ 2');
    this.maxKeys = maxKeys;
  }

  seen(key: string): boolean {
    if (this.#young.has(key)) return true;
    const known = this.#old.has(key);
    if (known) this.#old.delete(key);
    if (this.#young.size >= this.maxKeys >> 1) {
      this.#old = this.#young;
      this.#young = new Set();
    }
    this.#young.add(key);
    return known;
  }

  /** Keys remembered now. */
  get size(): number {
    return this.#young.size + this.#old.size;
  }
}

/**
 * The dedupe key of a parsed envelope: `<resource>:<event>:<data.id>`, and for `updated` events a
 * digest of `data` (the envelope has no other field that tells two edits apart).
 */
export function deliveryKey(resource: string, event: string, data: Record<string, unknown>): string {
  const id = typeof data.id === 'string' ? data.id : '';
  const base = `${resource}:${event}:${id}`;
  if (event !== 'updated') return base;
  const digest = createHash('sha1').update(JSON.stringify(data)).digest('base64url');
  return `${base}:${digest}`;
}

/**
 * De-duplication of webhook deliveries. Webex may deliver the same event twice (overlapping
 * webhooks, infrastructure retries; webex-rest-webhooks.md §3.6), and there is no delivery id, so
 * the key is built from the envelope: `resource`, `event` and `data.id` (§3.6), plus a digest of
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

/** The default store: an in-memory, bounded LRU set. */
export class MemoryDedupeStore implements DedupeStore {
  readonly maxKeys: number;
  readonly #keys = new Set<string>();

  constructor(options: MemoryDedupeStoreOptions = {}) {
    const maxKeys = options.maxKeys ?? 10_000;
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError('maxKeys must be a positive integer');
    this.maxKeys = maxKeys;
  }

  seen(key: string): boolean {
    if (this.#keys.has(key)) {
      // Refresh: a Set iterates in insertion order, so re-inserting moves the key to the young end.
      this.#keys.delete(key);
      this.#keys.add(key);
      return true;
    }
    this.#keys.add(key);
    if (this.#keys.size > this.maxKeys) {
      const oldest = this.#keys.values().next().value;
      if (oldest !== undefined) this.#keys.delete(oldest);
    }
    return false;
  }

  get size(): number {
    return this.#keys.size;
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

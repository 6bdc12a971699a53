/**
 * Sending copies: workers claim due delivery rows with a lease, take a token from the shared rate
 * limiter, send, and record the created message id. Webex's answers decide what happens next:
 * 429 → the row waits Retry-After and the whole limiter pauses; 5xx or no answer → retried with
 * backoff; a permanent 4xx (e.g. not a moderator of an announcement-only space) → recorded as
 * failed with Webex's reason, without holding up the rest.
 */
import { decideRetry, WebexApiError } from '@herald/webex';
import { workRetry } from '../retry.js';
import type { DeliveryRow, Store, StoredFile } from '../store/store.js';
import type { BroadcastContent } from './content.js';
import type { StageDeps } from './deps.js';
import type { RateLimiter } from './limiter.js';

export interface DispatcherDeps extends StageDeps {
  limiter: RateLimiter;
  /** Counts outcomes for metrics. */
  count: (outcome: 'sent' | 'failed' | 'retried' | 'rate_limited' | 'card_fallback') => void;
}

interface Loaded {
  content: BroadcastContent;
  file: StoredFile | undefined;
  /** The content version (edits of the source increment it). */
  version: number;
}

/**
 * Per-broadcast content, loaded once per instance (not per delivery). Bounded by count and by the
 * bytes of the files held: a file may be up to 100 MB, and 64 of them must not sit in memory. The
 * newest entry always stays, so the broadcast being sent never reloads its file per copy.
 */
export class ContentCache {
  private readonly entries = new Map<string, { loaded: Promise<Loaded | undefined>; bytes: number }>();
  private bytes = 0;

  constructor(
    private readonly store: Store,
    private readonly limits: { entries: number; bytes: number } = { entries: 64, bytes: 64 * 1024 * 1024 },
  ) {}

  get(broadcastId: string): Promise<Loaded | undefined> {
    const hit = this.entries.get(broadcastId);
    if (hit) return hit.loaded;
    const entry = { loaded: this.load(broadcastId), bytes: 0 };
    this.entries.set(broadcastId, entry);
    entry.loaded.then(
      (loaded) => {
        if (this.entries.get(broadcastId) !== entry) return;
        entry.bytes = loaded?.file?.bytes.length ?? 0;
        this.bytes += entry.bytes;
        this.trim(broadcastId);
      },
      () => this.forget(broadcastId, entry),
    );
    this.trim(broadcastId);
    return entry.loaded;
  }

  /** Forget a broadcast's content (its source was edited). Other instances' stale copies are edited later. */
  invalidate(broadcastId: string): void {
    const entry = this.entries.get(broadcastId);
    if (entry) this.forget(broadcastId, entry);
  }

  /** Entries and file bytes held (metrics, tests). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private async load(broadcastId: string): Promise<Loaded | undefined> {
    const row = await this.store.getBroadcast(broadcastId);
    if (!row?.content) return undefined;
    const content = JSON.parse(row.content) as BroadcastContent;
    const file = content.file ? await this.store.getFile(broadcastId) : undefined;
    return { content, file, version: row.content_version };
  }

  /** Drop the oldest entries (never `keep`) until both limits hold. */
  private trim(keep: string): void {
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= this.limits.entries && this.bytes <= this.limits.bytes) return;
      if (id !== keep) this.forget(id, entry);
    }
  }

  private forget(broadcastId: string, entry: { bytes: number }): void {
    if (this.entries.get(broadcastId) !== entry) return;
    this.entries.delete(broadcastId);
    this.bytes -= entry.bytes;
  }
}

/**
 * After a failed send, delete or edit: a 429 pauses every sender and puts the work back for when
 * Webex asked, without counting a try; a failure the work policy retries is put back after its
 * backoff. True when the work was put back; false when the failure is final.
 */
export async function tryAgainLater(
  deps: Pick<DispatcherDeps, 'config' | 'limiter'> & { count(outcome: 'rate_limited' | 'retried'): void },
  err: unknown,
  attempts: number,
  now: number,
  later: (at: number, why: string, rateLimited: boolean) => Promise<unknown>,
): Promise<boolean> {
  const next = decideRetry(workRetry(deps.config.delivery.max_attempts), err, attempts);
  if (!next.rateLimited && !next.retry) return false;
  if (next.rateLimited) deps.limiter.pause(next.waitMs / 1000);
  await later(now + next.waitMs, reason(err), next.rateLimited);
  deps.count(next.rateLimited ? 'rate_limited' : 'retried');
  return true;
}

export function reason(err: unknown): string {
  if (err instanceof WebexApiError) {
    const text = err.apiMessage ?? err.descriptions[0] ?? 'refused';
    return `${err.status} ${text}`;
  }
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The copy's id, and whether Webex can edit it later (not with a file or a card, docs/protocol.md §7.4). */
async function send(
  deps: DispatcherDeps,
  d: DeliveryRow,
  loaded: Loaded,
): Promise<{ id: string; editable: boolean }> {
  const { content, file } = loaded;
  const markdown = d.room_type === 'group' ? content.group : content.direct;
  const roomId = d.room_id;
  if (content.card) {
    try {
      const msg = await deps.client.messages.create({ roomId, markdown, attachments: [content.card] });
      return { id: msg.id, editable: false };
    } catch (err) {
      // Webex refused the card: the file goes as a plain file instead (or the text alone).
      if (!(err instanceof WebexApiError) || err.status !== 400) throw err;
      deps.count('card_fallback');
      deps.log('info', { delivery: d.id, error: reason(err) }, 'card refused; sending without it');
    }
  }
  if (file) {
    const msg = await deps.client.messages.create({
      roomId,
      markdown,
      file: { data: file.bytes, filename: file.name, contentType: file.contentType },
    });
    return { id: msg.id, editable: false };
  }
  return { id: (await deps.client.messages.create({ roomId, markdown })).id, editable: true };
}

/** What `deliver` leaves to do: the sent copy's row, still being written. */
export interface Delivered {
  /** Resolves once the row is written; asking writes it without waiting for other marks. */
  written(): Promise<void>;
}

const NOTHING_LEFT: Delivered = { written: () => Promise.resolve() };

/**
 * Send one claimed delivery and record the outcome. A failure is recorded before this resolves; a
 * sent copy's row is still being written (`written`), so that the worker may send its next copy
 * meanwhile (bot.ts `deliverStep` waits for it before the one after).
 */
export async function deliver(
  deps: DispatcherDeps,
  cache: ContentCache,
  d: DeliveryRow,
  owner: string,
): Promise<Delivered> {
  const loaded = await cache.get(d.broadcast_id);
  if (!loaded) {
    await deps.store.markFailed(d.id, owner, 'broadcast content missing', deps.now());
    deps.count('failed');
    return NOTHING_LEFT;
  }
  await deps.limiter.take();
  try {
    const copy = await send(deps, d, loaded);
    const recorded = deps.store
      .markSent(d.id, owner, copy.id, deps.now(), { version: loaded.version, editable: copy.editable })
      .then(() => deps.count('sent'));
    // Awaited through `written`; a failure before that is not an unhandled rejection.
    recorded.catch(() => {});
    return {
      written: () => {
        deps.store.hurryMark(d.id);
        return recorded;
      },
    };
  } catch (err) {
    const now = deps.now();
    const later = (at: number, why: string, rateLimited: boolean) =>
      deps.store.retryLater(d.id, owner, at, why, now, rateLimited);
    if (await tryAgainLater(deps, err, d.attempts, now, later)) return NOTHING_LEFT;
    await deps.store.markFailed(d.id, owner, reason(err), now);
    deps.count('failed');
    deps.log('info', { delivery: d.id, error: reason(err) }, 'delivery failed');
    return NOTHING_LEFT;
  }
}

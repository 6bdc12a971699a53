/**
 * Token buckets for the REST API (docs/protocol.md §7.1 decision): per (token, room) and per
 * token, separately for `POST /messages` and for reads. Off unless configured. Time comes from the
 * world's clock, so tests advance it instead of sleeping.
 */
import { EmulatorHttpError } from '../state/world.js';

export interface BucketSpec {
  /** Burst size (requests). */
  capacity: number;
  /** Refill rate (requests per second). */
  perSecond: number;
}

export interface RateLimitOptions {
  /** `POST /messages` per (token, room). Default: off. */
  postPerRoom?: BucketSpec | undefined;
  /** `POST /messages` per token. Default: off. */
  postPerToken?: BucketSpec | undefined;
  /** Message reads (`GET /messages…`) per (token, room). Default: off. */
  readPerRoom?: BucketSpec | undefined;
  /** Every GET per token. Default: off. */
  readPerToken?: BucketSpec | undefined;
  /** `DELETE /messages/{id}` per token (a bot recalling its copies). Default: off. */
  deletePerToken?: BucketSpec | undefined;
}

/** §7.1: the 429 text seen in the wild. */
export const RATE_LIMIT_MESSAGE =
  'The user has sent too many requests in a given amount of time. Please refer to the Retry-After response header to wait before making a new request.';

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter {
  private options: RateLimitOptions = {};
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly now: () => number) {}

  configure(options: RateLimitOptions): void {
    this.options = { ...options };
    this.buckets.clear();
  }

  get config(): RateLimitOptions {
    return { ...this.options };
  }

  reset(): void {
    this.buckets.clear();
  }

  /** Take one token from each applicable bucket or throw 429 with the longest wait (integer seconds, §7.1). */
  take(kind: 'post' | 'read' | 'delete', token: string, roomKey?: string): void {
    // Reads: the dispatcher charges the per-token bucket, handlers the per-room one (one charge each).
    const specs: Array<[string, BucketSpec | undefined]> =
      kind === 'delete'
        ? [[`delete|${token}`, this.options.deletePerToken]]
        : kind === 'post'
          ? [
              [`post|${token}|${roomKey}`, roomKey === undefined ? undefined : this.options.postPerRoom],
              [`post|${token}`, this.options.postPerToken],
            ]
          : roomKey === undefined
            ? [[`read|${token}`, this.options.readPerToken]]
            : [[`read|${token}|${roomKey}`, this.options.readPerRoom]];
    const now = this.now();
    let wait = 0;
    const ready: Bucket[] = [];
    for (const [key, spec] of specs) {
      if (!spec) continue;
      let b = this.buckets.get(key);
      if (!b) {
        b = { tokens: spec.capacity, at: now };
        this.buckets.set(key, b);
      }
      b.tokens = Math.min(spec.capacity, b.tokens + ((now - b.at) / 1000) * spec.perSecond);
      b.at = now;
      if (b.tokens < 1) wait = Math.max(wait, Math.ceil((1 - b.tokens) / spec.perSecond));
      else ready.push(b);
    }
    if (wait > 0) throw new EmulatorHttpError(429, RATE_LIMIT_MESSAGE, Math.max(1, wait));
    for (const b of ready) b.tokens -= 1;
  }
}

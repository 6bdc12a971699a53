/**
 * One shared send-rate limiter per instance: a token bucket of `ratePerSecond` with a burst of
 * half a second's worth, which backs off as a whole when Webex answers 429 (every sender waits the
 * Retry-After, not only the one that was refused). Clock and sleep are injected for tests.
 *
 * Why half a second: a token is taken before its send, and Webex counts the send when it arrives.
 * The first sends of a burst arrive later after their tokens than the steady ones that follow
 * (claims, connections, a busy loop), so a bot that spent Webex's whole allowance at once would be
 * ahead of Webex's count by that difference and meet a 429 when the refills come. Keeping half of
 * it back absorbs up to half a second of such skew; the steady rate is unchanged, and a broadcast
 * takes half a second longer at most.
 */
export interface LimiterOptions {
  ratePerSecond: number;
  /** Bucket size; default half a second of sends (at least 1). */
  burst?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class RateLimiter {
  private tokens: number;
  private last: number;
  private pausedUntil = 0;
  private readonly rate: number;
  private readonly burst: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private queue: Promise<void> = Promise.resolve();

  constructor(options: LimiterOptions) {
    this.rate = options.ratePerSecond;
    this.burst = Math.max(1, options.burst ?? defaultBurst(options.ratePerSecond));
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.tokens = this.burst;
    this.last = this.now();
  }

  /** Resolves when one send may go out. Callers are served in order. */
  take(): Promise<void> {
    const turn = this.queue.then(() => this.waitForToken());
    this.queue = turn.catch(() => {});
    return turn;
  }

  /** Webex asked everyone to wait: no token is handed out for `seconds`. */
  pause(seconds: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + seconds * 1000);
    this.tokens = 0;
  }

  private async waitForToken(): Promise<void> {
    for (;;) {
      const now = this.now();
      if (now < this.pausedUntil) {
        await this.sleep(this.pausedUntil - now);
        this.last = this.now();
        continue;
      }
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
    }
  }
}

/** Half a second of sends, at least one. */
function defaultBurst(ratePerSecond: number): number {
  return Math.max(1, Math.floor(ratePerSecond / 2));
}

/** What the shared limiter needs of the store: the bucket row (store/rate-budget.ts). */
export interface BudgetStore {
  ensureBudget(key: string, rate: number, capacity: number): Promise<void>;
  takeBudget(key: string, want: number): Promise<{ granted: number; waitMs: number }>;
  pauseBudget(key: string, ms: number): Promise<void>;
}

export interface SharedLimiterOptions {
  store: BudgetStore;
  /** The budget's name: one per bot (its token's person id). */
  key: string;
  ratePerSecond: number;
  sleep?: (ms: number) => Promise<void>;
  /** A store failure (asked again a second later). */
  onError?: (err: unknown) => void;
}

/**
 * One rate budget for all instances of a bot on one PostgreSQL: tokens come from the shared
 * bucket, a tenth of a second's worth at a time (one statement per grant, not per send), and a
 * 429 pauses every instance. The local bucket (the base class) still paces what was granted.
 */
export class SharedRateLimiter extends RateLimiter {
  private granted = 0;
  private ready: Promise<void> | undefined;
  private grants: Promise<void> = Promise.resolve();
  private readonly wait: (ms: number) => Promise<void>;
  private readonly chunk: number;

  constructor(private readonly shared: SharedLimiterOptions) {
    super({ ratePerSecond: shared.ratePerSecond });
    this.wait = shared.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.chunk = Math.max(1, Math.ceil(shared.ratePerSecond / 10));
  }

  override take(): Promise<void> {
    const turn = this.grants.then(() => this.grant());
    this.grants = turn.catch(() => {});
    return turn.then(() => super.take());
  }

  override pause(seconds: number): void {
    super.pause(seconds);
    this.granted = 0;
    this.shared.store.pauseBudget(this.shared.key, seconds * 1000).catch((err) => this.shared.onError?.(err));
  }

  private async grant(): Promise<void> {
    const { store, key, ratePerSecond } = this.shared;
    for (;;) {
      if (this.granted > 0) {
        this.granted--;
        return;
      }
      try {
        this.ready ??= store.ensureBudget(key, ratePerSecond, defaultBurst(ratePerSecond));
        await this.ready;
        const g = await store.takeBudget(key, this.chunk);
        this.granted = g.granted;
        if (g.granted === 0) await this.wait(g.waitMs);
      } catch (err) {
        // The database is unreachable: the store's own failures stop the work meanwhile.
        this.ready = undefined;
        this.shared.onError?.(err);
        await this.wait(1000);
      }
    }
  }
}

/**
 * How the Mercury receiver hands events to the application, at least once and in order:
 *
 * - every activity is tracked from arrival until its handlers settled (`track`); only then is its
 *   frame ACKed and may the reconcile watermark pass it;
 * - events of one conversation run one after the other, in arrival order (an edit never overtakes
 *   its message); different conversations run side by side, at most `maxInFlight` at once.
 */
import type { WebexEvent } from '../events.js';

const DONE: Promise<void> = Promise.resolve();

/** Run one event's handlers; a promise only when one of them is asynchronous. Never rejects. */
export type Deliver = (event: WebexEvent) => Promise<void> | undefined;

export class HandOff {
  /** Server time (ms) of the newest activity handled. */
  private lastSeen: number;
  /** Activities received and not yet handled: ticket → server time (ms). */
  private readonly pending = new Map<number, number>();
  private tickets = 0;
  /** The last hand-off of each conversation with work in flight. */
  private readonly chains = new Map<string, Promise<void>>();
  /** Hand-offs running now; the rest wait for a place. */
  private running = 0;
  private readonly placeWaiters: Array<() => void> = [];

  constructor(
    private readonly deliver: Deliver,
    private readonly maxInFlight: number,
    start: number,
  ) {
    this.lastSeen = start;
  }

  /** Activities received and not yet handled. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * The reconcile watermark (server time, ms): every activity up to it has been handled. An activity
   * received but not handled (the process died, the sink still runs) stays ahead of it, so the next
   * reconciliation recovers it.
   */
  get watermark(): number {
    let w = this.lastSeen;
    for (const t of this.pending.values()) if (t - 1 < w) w = t - 1;
    return w;
  }

  /** Start over from `time` (ms), as a fresh connection does. */
  reset(time: number): void {
    this.lastSeen = time;
  }

  /** Count an activity as pending until the returned function is called; that moves the watermark and ACKs. */
  track(published: number, ack: () => void = noop): () => void {
    const ticket = ++this.tickets;
    this.pending.set(ticket, published);
    return () => {
      if (!this.pending.delete(ticket)) return;
      if (published > this.lastSeen) this.lastSeen = published;
      ack();
    };
  }

  /**
   * Deliver `events` after the earlier events of the same conversation, once a place is free; then
   * call `done`. Synchronous while nothing waits and every handler is.
   */
  run(conversation: string, events: WebexEvent[], done: () => void): void {
    const before = this.chains.get(conversation);
    if (before === undefined && this.running < this.maxInFlight) {
      this.running++;
      const now = this.deliverAll(events, 0);
      if (now === undefined) {
        this.release();
        done();
        return;
      }
      this.chain(conversation, now.then(() => this.release()).then(done));
      return;
    }
    this.chain(
      conversation,
      (before ?? DONE)
        .then(() => this.place())
        .then(() => this.deliverAll(events, 0))
        .then(() => this.release())
        .then(done),
    );
  }

  /** Settles once the hand-offs under way have finished (more may start meanwhile). */
  async settled(): Promise<void> {
    await Promise.all(this.chains.values());
  }

  /** Whether hand-offs are under way. */
  get busy(): boolean {
    return this.chains.size > 0;
  }

  private chain(conversation: string, work: Promise<void>): void {
    const link: Promise<void> = work.finally(() => {
      if (this.chains.get(conversation) === link) this.chains.delete(conversation);
    });
    this.chains.set(conversation, link);
  }

  /** Wait for a place among the `maxInFlight` (taken when this resolves). */
  private place(): Promise<void> | undefined {
    if (this.running < this.maxInFlight) {
      this.running++;
      return undefined;
    }
    return new Promise<void>((resolve) =>
      this.placeWaiters.push(() => {
        this.running++;
        resolve();
      }),
    );
  }

  private release(): void {
    this.running--;
    this.placeWaiters.shift()?.();
  }

  /** `deliver` each event from index `i`, in order; a promise only once a handler returned one. */
  private deliverAll(events: WebexEvent[], i: number): Promise<void> | undefined {
    for (; i < events.length; i++) {
      const pending = this.deliver(events[i] as WebexEvent);
      if (pending) {
        const next = i + 1;
        return pending.then(() => this.deliverAll(events, next));
      }
    }
    return undefined;
  }
}

function noop(): void {}

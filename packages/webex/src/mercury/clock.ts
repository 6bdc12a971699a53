/** Time, injectable so that tests drive heartbeats, backoff and timeouts without sleeping. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * The real clock. Timers are unref'd: a heartbeat or a timeout alone does not keep Node alive (the
 * open socket does). Waits that are the receiver's work opt back in with `holdOpen`.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Let a timer of `clock` hold the process open (Node's `ref()`, where the handle has one). For the
 * waits that are the receiver's work, between reconnect attempts and before trying a setup call
 * again: a program whose only work is the receiver must not exit while it waits to reconnect.
 */
export function holdOpen(handle: unknown): unknown {
  (handle as { ref?: () => void } | null)?.ref?.();
  return handle;
}

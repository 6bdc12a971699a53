/**
 * The one receiver contract (DESIGN.md §4; Slack Bolt's receivers are the model). Mercury
 * (`WebexMessageHandler`) and webhooks (`WebhookReceiver`) both implement it: an application gives a
 * sink to `start`, the receiver awaits it for every event, and a sink that throws, rejects or hangs
 * becomes a `HandlerError` on the receiver's `error` channel, never an unhandled rejection.
 */
import { HandlerError } from './errors.js';
import type { WebexEvent } from './events.js';

/** Where a receiver hands its events. The receiver awaits the promise before it counts the event handled. */
export type EventSink = (event: WebexEvent) => Promise<void> | void;

/** What `Receiver.status()` tells: the receiver's state now, for health checks and logs. */
export interface ReceiverStatus {
  /** `up`: events can arrive; `down`: reconnecting; `failed`: stopped for good (refused token, replaced). */
  state: 'stopped' | 'starting' | 'up' | 'down' | 'failed';
  /** One line for a health page. */
  detail: string;
  /** Events given to the sink that have not settled yet. */
  inFlight: number;
}

/** The contract both receivers implement: Mercury (`WebexMessageHandler`) and webhooks (`WebhookReceiver`). */
export interface Receiver {
  /** Begin receiving; every event goes to `sink`, which is awaited. Rejects when receiving cannot begin. */
  start(sink: EventSink): Promise<void>;
  /** Stop receiving and wait for the events in flight. */
  stop(): Promise<void>;
  /** The state now; cheap, synchronous, safe to call at any time. */
  status(): ReceiverStatus;
}

/** Default `handlerTimeout` of both receivers: 5 minutes. */
export const DEFAULT_HANDLER_TIMEOUT_MS = 300_000;

/**
 * Run application code on one event: `HandlerError` when it throws, rejects, or has not settled
 * after `timeoutMs` (it goes on running; the receiver no longer waits for it), else `undefined`.
 * Never throws and never rejects.
 */
export function runHandler(
  handler: (event: never) => unknown,
  event: WebexEvent,
  timeoutMs: number,
): HandlerError | undefined | Promise<HandlerError | undefined> {
  let result: unknown;
  try {
    result = (handler as (event: WebexEvent) => unknown)(event);
  } catch (err) {
    return new HandlerError(event, err);
  }
  if (!isThenable(result)) return undefined;
  return new Promise<HandlerError | undefined>((resolve) => {
    const timer = setTimeout(
      () =>
        resolve(
          new HandlerError(
            event,
            undefined,
            `the handler of a ${event.type} event did not settle within ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    timer.unref?.();
    Promise.resolve(result).then(
      () => {
        clearTimeout(timer);
        resolve(undefined);
      },
      (err: unknown) => {
        clearTimeout(timer);
        resolve(new HandlerError(event, err));
      },
    );
  });
}

/**
 * Run `handlers` on `event` one after the other (each awaited, `runHandler`), giving every failure
 * to `onFailure`. A promise only once a handler returned one; never rejects.
 */
export function runHandlers(
  handlers: ReadonlyArray<(event: never) => unknown>,
  event: WebexEvent,
  timeoutMs: number,
  onFailure: (failure: HandlerError) => void,
  from = 0,
): Promise<void> | undefined {
  for (let i = from; i < handlers.length; i++) {
    const ran = runHandler(handlers[i] as (event: never) => unknown, event, timeoutMs);
    if (ran instanceof Promise) {
      const next = i + 1;
      return ran.then((failure) => {
        if (failure) onFailure(failure);
        return runHandlers(handlers, event, timeoutMs, onFailure, next);
      });
    }
    if (ran) onFailure(ran);
  }
  return undefined;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

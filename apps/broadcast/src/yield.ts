/**
 * Let the event loop run (timers, sockets, webhooks) before going on: long synchronous steps such
 * as planning 10,000 spaces are cut into chunks with this between them.
 */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

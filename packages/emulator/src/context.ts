/**
 * How the emulator's subsystems plug into one HTTP server. `server.ts` creates the node:http
 * server, the `World` and this context, then installs each subsystem: REST + control (`rest/`),
 * webhook delivery (`webhooks/`), U2C/WDM/Mercury/KMS (`mercury/`). A subsystem answers the
 * requests it owns and ignores the rest.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { World } from './state/world.js';

/** Faults shared across subsystems. All off by default. */
export interface SharedFaults {
  /**
   * `GET /v1/messages/{id}` answers 404 for this long (ms) after the message was created
   * (docs/protocol.md §8.5: a webhook may arrive before the message can be fetched).
   */
  messageNotFoundForMs: number;
}

export interface EmulatorContext {
  world: World;
  /** `http://127.0.0.1:<port>` once listening. */
  baseUrl(): string;
  /** `ws://127.0.0.1:<port>` once listening. */
  wsBaseUrl(): string;
  faults: SharedFaults;
  /** Debug logging, off unless the emulator was started with a logger. Never pass tokens or secrets. */
  log(msg: string, fields?: Record<string, unknown>): void;
}

export interface Subsystem {
  /** Handle the request if it is this subsystem's; return false to let the next one try. */
  handle?(req: IncomingMessage, res: ServerResponse, url: URL): boolean | Promise<boolean>;
  /** Handle a WebSocket upgrade if it is this subsystem's. */
  upgrade?(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean;
  /** Forget run-time state (devices, sockets, pending deliveries) when the world is reset. */
  reset?(): void;
  stop?(): Promise<void> | void;
}

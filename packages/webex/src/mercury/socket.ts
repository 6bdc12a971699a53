/**
 * `MercurySocket`: one logical Mercury connection over successive WebSockets
 * (docs/protocol.md §3): the `authorization` frame, readiness (`mercury.buffer_state`), ACKs,
 * the ping/pong heartbeat, and reconnection with exponential backoff.
 *
 * Close codes (§3.7): 4400 permanent, 4401/4403 fatal `AuthError` (no reconnect loop), 4404
 * re-register the device then reconnect, 4000 `replaced` (another connection took the registration)
 * ends the connection, anything else reconnects. A `shutdown` frame (§3.6) reconnects at once.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { AuthError, HeraldError, ProtocolError, ProxyError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { backoff, type RetryPolicy, retryPolicy } from '../retry.js';
import { type Clock, holdOpen, systemClock } from './clock.js';
import {
  ackFrame,
  authorizationFrame,
  isReadiness,
  MAX_FRAME_BYTES,
  parseFrame,
  pingFrame,
  prepareSocketUrl,
  type ServerFrame,
} from './frames.js';

/** What the socket needs of a WebSocket: the `on…` properties of the WHATWG/`ws` API. */
export interface WebSocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface WebSocketFactoryOptions {
  /** Proxy agent for the upgrade request (`http.Agent`, e.g. from `https-proxy-agent`). */
  agent?: unknown;
  /** Largest frame accepted (bytes). */
  maxPayload: number;
}

export type WebSocketFactory = (url: string, options: WebSocketFactoryOptions) => WebSocketLike;

/** The default factory: `ws`, with the agent and a frame size limit. */
export const wsFactory: WebSocketFactory = (url, options) =>
  new WebSocket(url, {
    maxPayload: options.maxPayload,
    handshakeTimeout: 30_000,
    ...(options.agent ? { agent: options.agent as never } : {}),
  }) as unknown as WebSocketLike;

export interface MercurySocketOptions {
  /** WDM `webSocketUrl`. */
  url: string;
  token: string;
  /** Time between a pong and the next ping (ms). Default 15000 (§3.3). */
  pingInterval?: number;
  /** How long to wait for a pong before reconnecting (ms). Default 14000 (§3.3). */
  pongTimeout?: number;
  /** How long to wait for readiness after opening (ms). Default 30000 (§3.2). */
  readyTimeout?: number;
  /**
   * Reconnect policy (docs/protocol.md §3.8): `attempts` reconnects in a row (default 10),
   * waiting from `base` 1000 ms doubling to `cap` 32000 ms (`reconnectBackoffMax`), no jitter.
   */
  reconnect?: Partial<RetryPolicy>;
  /**
   * A connection must stay up this long (ms) before the failure count resets, so that a flapping
   * link still reaches `reconnect.attempts` (3R ≥0.6.x). Default 60000.
   */
  stabilityWindow?: number;
  clock?: Clock;
  webSocketFactory?: WebSocketFactory;
  /** Proxy agent for the upgrade, or a function of the socket URL giving one (undefined: direct). */
  agent?: unknown;
  /** Largest frame accepted (bytes). Default 1 MiB. */
  maxPayload?: number;
  logger?: Logger;
  /** Called on 4404 (registration unknown): register again and return the new `webSocketUrl`. */
  reRegister?: () => Promise<string>;
}

export type DisconnectReason =
  | 'client'
  | 'auth-failed'
  | 'permanent-failure'
  | 'replaced'
  | 'max-attempts-exceeded';

export interface MercurySocketEvents {
  /** Authorized and ready; `reconnect` is false the first time. */
  ready: [{ reconnect: boolean }];
  /**
   * An event frame, including `encryption.kms_message`. `ack()` sends its ACK (docs/protocol.md §3.5): a receiver
   * calls it once the frame has been handled, so that the ACK means "handled", not "arrived".
   * Calling it again, or after the socket was replaced, does nothing.
   */
  frame: [Extract<ServerFrame, { kind: 'event' }>, () => void];
  /** A frame's `sequenceNumber` is not the previous one + 1 on this WebSocket (§3.4): frames were lost. */
  sequenceGap: [{ expected: number; received: number }];
  reconnecting: [{ attempt: number; delay: number; code?: number | undefined }];
  disconnected: [{ reason: DisconnectReason; code?: number | undefined }];
  error: [Error];
}

class CloseInfo extends Error {
  constructor(
    readonly code: number,
    readonly closeReason: string,
  ) {
    super(`socket closed ${code}${closeReason ? ` (${closeReason})` : ''}`);
  }
}

function reasonText(r: unknown): string {
  if (typeof r === 'string') return r.slice(0, 200);
  if (Buffer.isBuffer(r)) return r.toString('utf8', 0, 200);
  return '';
}

/** Reconnects: 1, 2, 4 … 32 s, ten in a row at most. */
const RECONNECT_RETRY: RetryPolicy = { attempts: 10, base: 1000, cap: 32_000, factor: 2, jitter: 0 };

export class MercurySocket extends EventEmitter<MercurySocketEvents> {
  private url: string;
  private readonly token: string;
  private readonly pingInterval: number;
  private readonly pongTimeout: number;
  private readonly readyTimeout: number;
  private readonly policy: RetryPolicy;
  private readonly stabilityWindow: number;
  private readonly clock: Clock;
  private readonly factory: WebSocketFactory;
  private readonly log: Logger;
  private readonly opts: MercurySocketOptions;
  private ws: WebSocketLike | undefined;
  private gen = 0;
  private attempts = 0;
  private stopped = false;
  private reconnecting = false;
  private isReady = false;
  private pingTimer: unknown;
  private pongTimer: unknown;
  private stableTimer: unknown;
  private waitTimer: unknown;
  private wakeWait: (() => void) | undefined;
  private pendingPing: string | undefined;
  /** `sequenceNumber` of the last event frame on the current WebSocket (each one starts over). */
  private lastSeq: number | undefined;

  constructor(opts: MercurySocketOptions) {
    super();
    this.opts = opts;
    this.url = opts.url;
    this.token = opts.token;
    this.pingInterval = opts.pingInterval ?? 15_000;
    this.pongTimeout = opts.pongTimeout ?? 14_000;
    this.readyTimeout = opts.readyTimeout ?? 30_000;
    this.policy = retryPolicy(opts.reconnect, RECONNECT_RETRY);
    this.stabilityWindow = opts.stabilityWindow ?? 60_000;
    this.clock = opts.clock ?? systemClock;
    this.factory = opts.webSocketFactory ?? wsFactory;
    this.log = opts.logger ?? silentLogger;
  }

  /** Ready to receive. */
  get connected(): boolean {
    return this.isReady;
  }

  /** Consecutive reconnect attempts that did not (yet) lead to a stable connection. */
  get reconnectAttempts(): number {
    return this.attempts;
  }

  /** Open and authorize. Rejects when the first connection fails (`AuthError` for 4401/4403). */
  async connect(): Promise<void> {
    this.stopped = false;
    try {
      await this.openOnce();
    } catch (err) {
      throw this.toError(err);
    }
    this.emit('ready', { reconnect: false });
  }

  /** Close for good. */
  disconnect(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopTimers();
    this.clock.clearTimeout(this.waitTimer);
    this.wakeWait?.();
    this.gen++;
    const ws = this.ws;
    this.ws = undefined;
    this.isReady = false;
    try {
      ws?.close(1000, 'client');
    } catch {}
    this.emit('disconnected', { reason: 'client' });
  }

  /** Drop the current WebSocket as if the network failed (tests, and a pong timeout). */
  drop(code = 1006, reason = 'dropped'): void {
    if (!this.ws || this.stopped) return;
    const ws = this.ws;
    this.gen++;
    try {
      ws.close(1000, reason);
    } catch {}
    this.onDropped(code, reason);
  }

  private toError(err: unknown): Error {
    if (err instanceof CloseInfo) {
      if (err.code === 4401) return new AuthError('Mercury refused the token (4401)');
      if (err.code === 4403) return new AuthError('Mercury: the token is not entitled (4403)');
      return new ProtocolError(`Mercury connection failed: ${err.message}`, { cause: err });
    }
    return err instanceof Error ? err : new ProtocolError('Mercury connection failed');
  }

  private stopTimers(): void {
    this.clock.clearTimeout(this.pingTimer);
    this.clock.clearTimeout(this.pongTimer);
    this.clock.clearTimeout(this.stableTimer);
    this.pendingPing = undefined;
  }

  private openOnce(): Promise<void> {
    const gen = ++this.gen;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let ws: WebSocketLike;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(timer);
        if (this.gen === gen) this.gen++;
        try {
          ws?.close(1000, 'giving up');
        } catch {}
        reject(err);
      };
      const timer = this.clock.setTimeout(
        () => fail(new CloseInfo(1008, 'no readiness within the timeout')),
        this.readyTimeout,
      );
      try {
        const url = prepareSocketUrl(this.url, this.clock.now());
        const agent = this.opts.agent;
        ws = this.factory(url, {
          agent: typeof agent === 'function' ? (agent as (u: string) => unknown)(url) : agent,
          maxPayload: this.opts.maxPayload ?? MAX_FRAME_BYTES,
        });
      } catch (err) {
        fail(err instanceof Error ? err : new ProtocolError('cannot open the WebSocket'));
        return;
      }
      this.ws = ws;
      ws.onopen = () => {
        if (this.gen !== gen) return;
        try {
          ws.send(authorizationFrame(randomUUID(), this.token));
        } catch (err) {
          fail(err instanceof Error ? err : new ProtocolError('send failed'));
        }
      };
      ws.onmessage = (ev) => {
        if (this.gen !== gen) return;
        const frame = parseFrame(ev?.data);
        if (frame instanceof ProtocolError) {
          this.log.warn({ err: frame.message }, 'mercury: malformed frame ignored');
          return;
        }
        if (!settled) {
          if (frame.kind === 'event' && frame.id !== undefined) this.safeSend(ackFrame(frame.id));
          if (isReadiness(frame)) {
            this.lastSeq = frame.kind === 'event' ? frame.sequenceNumber : undefined;
            settled = true;
            this.clock.clearTimeout(timer);
            this.onReady();
            resolve();
          }
          return;
        }
        this.onFrame(frame);
      };
      ws.onclose = (ev) => {
        if (this.gen !== gen) return;
        const code = typeof ev?.code === 'number' ? ev.code : 1006;
        const reason = reasonText(ev?.reason);
        if (!settled) {
          fail(new CloseInfo(code, reason));
          return;
        }
        this.gen++;
        this.onDropped(code, reason);
      };
      ws.onerror = (ev) => {
        if (this.gen !== gen) return;
        // A proxy's refusal of the CONNECT is not Mercury's answer: keep it as it is (a passing failure).
        const cause = (ev as { error?: unknown })?.error;
        if (cause instanceof ProxyError) {
          fail(cause);
          return;
        }
        const msg = ev instanceof Error ? ev.message : ((ev as { message?: unknown })?.message ?? '');
        // ws reports an HTTP answer to the upgrade as "Unexpected server response: <status>".
        const m = /Unexpected server response: (\d{3})/.exec(String(msg));
        if (!settled) fail(new CloseInfo(m ? 4000 + Number(m[1]) : 1006, String(msg).slice(0, 200)));
      };
    });
  }

  private safeSend(text: string): void {
    try {
      this.ws?.send(text);
    } catch (err) {
      this.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'mercury: send failed');
    }
  }

  private onReady(): void {
    this.isReady = true;
    this.stopTimers();
    this.stableTimer = this.clock.setTimeout(() => {
      this.attempts = 0;
    }, this.stabilityWindow);
    this.schedulePing();
  }

  private schedulePing(): void {
    this.clock.clearTimeout(this.pingTimer);
    this.pingTimer = this.clock.setTimeout(() => {
      const id = randomUUID();
      this.pendingPing = id;
      this.safeSend(pingFrame(id));
      this.pongTimer = this.clock.setTimeout(() => {
        this.log.warn({ pongTimeout: this.pongTimeout }, 'mercury: pong not received, reconnecting');
        this.drop(1000, 'pong not received');
      }, this.pongTimeout);
    }, this.pingInterval);
  }

  private onFrame(frame: ServerFrame): void {
    if (frame.kind === 'pong') {
      // §3.3: a pong with another id is ignored (3R); only the awaited one re-arms the heartbeat.
      if (frame.id === this.pendingPing) {
        this.pendingPing = undefined;
        this.clock.clearTimeout(this.pongTimer);
        this.schedulePing();
      }
      return;
    }
    if (frame.kind === 'shutdown') {
      this.log.info({}, 'mercury: server shutdown, reconnecting');
      this.gen++;
      const old = this.ws;
      this.isReady = false;
      this.stopTimers();
      // §3.6: the server closes the old socket (4001) once the new one is up; we stop listening to it.
      setImmediate(() => {
        try {
          old?.close(1000, 'replaced after shutdown');
        } catch {}
      });
      void this.reconnectLoop(true);
      return;
    }
    const seq = frame.sequenceNumber;
    if (seq !== undefined) {
      const last = this.lastSeq;
      this.lastSeq = seq;
      // Reported before the frame, so that listeners still see the state from before the gap.
      if (last !== undefined && seq !== last + 1)
        this.emit('sequenceGap', { expected: last + 1, received: seq });
    }
    this.emit('frame', frame, this.acker(frame.id));
  }

  /** The ACK of one frame of the current WebSocket: sent at most once, never on a later socket. */
  private acker(id: string | undefined): () => void {
    if (id === undefined) return noop;
    const gen = this.gen;
    let sent = false;
    return () => {
      if (sent || gen !== this.gen) return;
      sent = true;
      this.safeSend(ackFrame(id));
    };
  }

  private onDropped(code: number, reason: string): void {
    this.isReady = false;
    this.ws = undefined;
    this.stopTimers();
    if (this.stopped) return;
    if (code === 4400 || code === 4401 || code === 4403) {
      this.stopped = true;
      this.emit('error', this.toError(new CloseInfo(code, reason)));
      this.emit('disconnected', { reason: code === 4400 ? 'permanent-failure' : 'auth-failed', code });
      return;
    }
    if (code === 4000) {
      this.stopped = true;
      this.emit('disconnected', { reason: 'replaced', code });
      return;
    }
    this.log.info({ code }, 'mercury: connection lost, reconnecting');
    void this.reconnectLoop(false, code);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wakeWait = resolve;
      this.waitTimer = holdOpen(this.clock.setTimeout(resolve, ms));
    });
  }

  private async reconnectLoop(immediate: boolean, code?: number): Promise<void> {
    if (this.reconnecting) return;
    this.reconnecting = true;
    let first = true;
    try {
      while (!this.stopped) {
        this.attempts++;
        if (this.attempts > this.policy.attempts) {
          this.stopped = true;
          this.emit(
            'error',
            new ProtocolError(`Mercury: gave up after ${this.policy.attempts} reconnect attempts`),
          );
          this.emit('disconnected', { reason: 'max-attempts-exceeded', code });
          return;
        }
        const delay = immediate && first ? 0 : backoff(this.policy, this.attempts);
        first = false;
        this.emit('reconnecting', { attempt: this.attempts, delay, code });
        await this.sleep(delay);
        if (this.stopped) return;
        if (code === 4404 && this.opts.reRegister) {
          // §3.7: the registration is gone; a new device gives a new webSocketUrl.
          try {
            this.url = await this.opts.reRegister();
          } catch (e) {
            this.log.warn(
              { err: e instanceof HeraldError ? e.code : String(e) },
              'mercury: re-registration failed',
            );
          }
          if (this.stopped) return;
        }
        try {
          await this.openOnce();
        } catch (err) {
          if (this.stopped) return;
          if (err instanceof ProxyError) this.log.warn({ err: err.message }, 'mercury: reconnect failed');
          const c = err instanceof CloseInfo ? err.code : 1006;
          code = c;
          if (c === 4400 || c === 4401 || c === 4403) {
            this.stopped = true;
            this.emit('error', this.toError(err));
            this.emit('disconnected', { reason: c === 4400 ? 'permanent-failure' : 'auth-failed', code: c });
            return;
          }
          continue;
        }
        this.emit('ready', { reconnect: true });
        return;
      }
    } finally {
      this.reconnecting = false;
    }
  }
}

function noop(): void {}

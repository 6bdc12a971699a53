/**
 * `WebexMessageHandler`: receive Webex events over Mercury, no public URL needed.
 *
 * Orchestrates `DeviceManager` (U2C + WDM), `MercurySocket`, `KmsClient` and `MessageDecryptor`, and
 * turns activities into the typed events of `events.ts`. Sequence (docs/protocol.md §1):
 * `/people/me` (when filtering our own messages) → register → Mercury → KMS handshake → events.
 *
 * Nothing is lost across a reconnect: when the socket is back, the handler refreshes the device,
 * renegotiates the KMS key, then asks REST for messages since the last event it saw (rooms by last
 * activity; in group rooms only those mentioning the bot, as bots see them) and emits those it has
 * not emitted yet. Message ids are de-duplicated in a bounded set.
 *
 * As a `Receiver` (`start(sink)`), every event is awaited: a frame is ACKed, and the reconcile
 * watermark moves past it, only once the listeners and the sink have settled. Events of one
 * conversation reach them in arrival order (an edit never overtakes its message); different
 * conversations run side by side, at most `maxInFlight` events at once, and at most `maxPending`
 * activities wait (beyond that, frames are dropped and their messages recovered through REST).
 * Application code that throws, rejects or hangs becomes a `HandlerError` on `error`.
 */
import { EventEmitter } from 'node:events';
import { InvalidArgumentError, KmsError, ProtocolError } from '../errors.js';
import { messageDataFromRest, type WebexEvent, type WebexEventMap } from '../events.js';
import type { FetchLike } from '../http.js';
import { idToUuid } from '../ids.js';
import { type Logger, silentLogger } from '../logger.js';
import { nodeTransport } from '../node-http.js';
import {
  DEFAULT_HANDLER_TIMEOUT_MS,
  type EventSink,
  type Receiver,
  type ReceiverStatus,
  runHandlers,
} from '../receiver.js';
import { WebexClient } from '../rest/client.js';
import type { Message as RestMessage } from '../rest/types.js';
import { backoff, canRetry, isTransient, type RetryPolicy, retrying, retryPolicy } from '../retry.js';
import { activityToEvents } from './activity.js';
import { type Clock, holdOpen, systemClock } from './clock.js';
import { MessageDecryptor } from './decrypt.js';
import { DEFAULT_U2C_URL, DeviceManager } from './device.js';
import { HandOff } from './handoff.js';
import { type HttpOptions, requestJson } from './http.js';
import { KmsClient } from './kms.js';
import { type DisconnectReason, MercurySocket, type WebSocketFactory } from './socket.js';
import type { Activity } from './types.js';
import { compileUrlPolicy, type UrlPolicy } from './urls.js';

export interface WebexMessageHandlerOptions {
  /** Bot or user access token (required). Never logged. */
  token: string;
  /** Drop message events sent by the token's owner. Default true; `connect()` fails if `/people/me` fails. */
  ignoreSelfMessages?: boolean;
  /** The token owner's PEOPLE id, when the application already knows it: then `connect()` does not ask `/people/me`. */
  selfId?: string | undefined;
  /** Time between a pong and the next ping (ms). Default 15000. */
  pingInterval?: number;
  /** How long to wait for a pong (ms). Default 14000. */
  pongTimeout?: number;
  /** Longest reconnect delay (ms). Default 32000. */
  reconnectBackoffMax?: number;
  /** Consecutive failed reconnects before giving up. Default 10. */
  maxReconnectAttempts?: number;
  /**
   * Tries of each setup call of `connect()` (`/people/me`, U2C, WDM) that meets a passing failure
   * (no answer, 429, 5xx). Default 4, waiting `Retry-After` (at most 60 s) or 1, 2, 4 s between.
   */
  connectAttempts?: number;
  /** A connection must stay up this long (ms) before the failure count resets. Default 60000. */
  reconnectStabilityWindow?: number;
  /** REST base (for `/people/me`, reconciliation and file URLs). Default the U2C `hydra` link, else `https://webexapis.com/v1`. */
  baseUrl?: string;
  /** U2C base. Default `https://u2c.wbx2.com/u2c/api/v1`. */
  u2cUrl?: string;
  /**
   * Origins allowed besides the Webex domains for URLs the server hands out (e.g. the emulator's
   * `http://127.0.0.1:8787`). Default none: only https/wss/kms on *.wbx2.com, *.webex.com,
   * *.ciscospark.com, webexapis.com.
   */
  allowedOrigins?: readonly string[];
  /** `native` (default): built-in fetch and `ws`. `injected`: `fetch` and `webSocketFactory` are required. */
  mode?: 'native' | 'injected';
  /** Injected mode: the fetch for every HTTP call. */
  fetch?: typeof globalThis.fetch;
  /** Injected mode: how to open a WebSocket. */
  webSocketFactory?: WebSocketFactory;
  /**
   * Native mode proxying: `fetch` (e.g. undici's, which fits its `dispatcher`; default the global
   * fetch), `dispatcher` (undici, e.g. a `ProxyAgent`) and `agent` (for the WebSocket upgrade: an
   * `http.Agent`, or a function of the WebSocket URL returning one, or undefined to go direct).
   * `proxyFromEnv()` of `@herald/webex/proxy` builds all three from HTTPS_PROXY and NO_PROXY.
   */
  proxy?: { fetch?: typeof globalThis.fetch; dispatcher?: unknown; agent?: unknown };
  /** Name of our WDM device, used to find it again. Default `herald-webex`. */
  deviceName?: string;
  /** On `disconnect()`, delete the device (true, default) or keep it for the next run. */
  unregisterOnDisconnect?: boolean;
  /** Recover messages missed while disconnected, through REST. Default true. */
  reconcile?: boolean;
  /** Message ids remembered for de-duplication. Default 5000. */
  dedupeSize?: number;
  /** How long to wait for a KMS reply (ms). Default 30000. */
  kmsTimeout?: number;
  /** HTTP timeout per request (ms). Default 30000. */
  httpTimeout?: number;
  /**
   * Also recover, on `connect()`, the messages created since this time (ms since the epoch), through
   * REST: e.g. the newest event an application stored before it was restarted, so that what arrived
   * while it was down (or arrived and was not yet stored when it died) is handed over. Default none:
   * nothing older than `connect()` is recovered.
   */
  reconcileSince?: number | undefined;
  /** Events given to listeners and the sink at once, across conversations. Default 64. */
  maxInFlight?: number;
  /** Activities received and not yet handled, beyond which frames are dropped (messages recovered through REST). Default 10000. */
  maxPending?: number;
  /** How long a listener or the sink may take on one event (ms) before a `HandlerError` is reported. Default 300000. */
  handlerTimeout?: number;
  /**
   * `start(sink)` only: after the socket gave up (`maxReconnectAttempts` failures in a row), connect
   * again after a wait of this policy. Default 15 s doubling to 5 minutes, without end. A refused
   * token or a `replaced` device stops for good.
   */
  revive?: Partial<RetryPolicy>;
  logger?: Logger;
  /** Time source for heartbeats, backoff and timeouts (tests). */
  clock?: Clock;
}

export interface HandlerLifecycleEvents {
  connected: [{ reconnect: boolean }];
  disconnected: [{ reason: DisconnectReason }];
  reconnecting: [{ attempt: number; delay: number }];
  /**
   * A failure that did not stop the handler (a message that could not be decrypted, a KMS refusal, a
   * `HandlerError` from a listener or the sink…) or, before `disconnected`, one that did. Without a
   * listener these are logged.
   */
  error: [Error];
}

/** The events `WebexMessageHandler` emits: every Webex event type, plus its lifecycle. */
export type HandlerEvents = { [K in keyof WebexEventMap]: [WebexEventMap[K]] } & HandlerLifecycleEvents;

/** A bounded set: the oldest entries go first. */
class BoundedSet {
  private readonly set = new Set<string>();
  constructor(private readonly max: number) {}
  has(k: string): boolean {
    return this.set.has(k);
  }
  add(k: string): void {
    this.set.add(k);
    if (this.set.size > this.max) {
      const first = this.set.values().next();
      if (!first.done) this.set.delete(first.value);
    }
  }
}

/** Setup calls of `connect()`: 1, 2, 4 s between tries (or `Retry-After`, at most 60 s). */
const SETUP_RETRY: RetryPolicy = { attempts: 4, base: 1000, cap: 32_000, factor: 2, jitter: 0 };
/** `start(sink)` connecting again after the socket gave up. */
const REVIVE_RETRY: RetryPolicy = {
  attempts: Number.POSITIVE_INFINITY,
  base: 15_000,
  cap: 300_000,
  factor: 2,
  jitter: 0,
  shouldRetry: (err) => isTransient(err) || err instanceof KmsError || err instanceof ProtocolError,
};

/** Rooms whose newest delivered activity is remembered for reconciling. */
const ROOMS_SEEN_MAX = 20_000;

export class WebexMessageHandler extends EventEmitter<HandlerEvents> implements Receiver {
  private readonly opts: WebexMessageHandlerOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly policy: UrlPolicy;
  private readonly http: HttpOptions;
  private restClient: WebexClient | undefined;
  private restClientBase: string | undefined;
  private readonly devices: DeviceManager;
  private readonly seen: BoundedSet;
  private socket: MercurySocket | undefined;
  private kms: KmsClient | undefined;
  private decryptor: MessageDecryptor | undefined;
  private selfUuid: string | undefined;
  private restBase = 'https://webexapis.com/v1';
  /** Events to the listeners and the sink: in order per conversation, ACK and watermark after. */
  private readonly handoff: HandOff;
  private readonly maxPending: number;
  private readonly handlerTimeout: number;
  private sink: EventSink | undefined;
  private started = false;
  private state: ReceiverStatus['state'] = 'stopped';
  private revivals = 0;
  private reviveTimer: unknown;
  /** When `connect()` started (ms): nothing older is reconciled. */
  private connectedAt = 0;
  /**
   * Per room uuid, the server time (ms) of the newest activity this socket delivered, ours
   * included: a room whose REST `lastActivity` is no later had nothing new, so reconciling skips
   * it (a bot that just wrote to many spaces does not ask each of them again). Bounded.
   */
  private readonly roomSeenAt = new Map<string, number>();
  /** False after frames were lost mid-connection: a later frame of a room says nothing of earlier ones. */
  private roomSeenTrusted = true;
  /**
   * `roomSeenAt` as it stood when the socket dropped: only what came before the gap vouches for a
   * room. Frames of the new connection can be handled before reconciling reads the rooms, and a
   * room's newest frame from after the gap says nothing of what was sent during it.
   */
  private roomSeenBeforeGap: Map<string, number> | undefined;
  /** Activities waiting for a key, the KMS handshake or an earlier activity, in arrival order. */
  private queue: Promise<void> = Promise.resolve();
  /** Activities in `queue`; while there are any, later ones queue behind them (order is kept). */
  private backlog = 0;
  /** Reconciliation running, and the earliest `since` asked for while it ran. */
  private reconciling: Promise<void> | undefined;
  private reconcileAgainSince: number | undefined;
  private isConnected = false;

  constructor(options: WebexMessageHandlerOptions) {
    super();
    if (typeof options?.token !== 'string' || options.token.length === 0) {
      throw new InvalidArgumentError('token is required');
    }
    const mode = options.mode ?? 'native';
    if (mode !== 'native' && mode !== 'injected')
      throw new InvalidArgumentError('mode must be native or injected');
    if (mode === 'injected' && (!options.fetch || !options.webSocketFactory)) {
      throw new InvalidArgumentError('mode injected needs both fetch and webSocketFactory');
    }
    if (mode === 'injected' && options.proxy)
      throw new InvalidArgumentError('proxy is for native mode; injected mode brings its own transport');
    if (mode === 'native' && (options.fetch || options.webSocketFactory)) {
      throw new InvalidArgumentError('fetch and webSocketFactory need mode injected');
    }
    for (const k of [
      'pingInterval',
      'pongTimeout',
      'reconnectBackoffMax',
      'maxReconnectAttempts',
      'connectAttempts',
      'maxInFlight',
      'maxPending',
      'handlerTimeout',
    ] as const) {
      const v = options[k];
      if (v !== undefined && (!Number.isFinite(v) || v < 0))
        throw new InvalidArgumentError(`${k} must be a non-negative number`);
    }
    this.opts = options;
    this.log = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.policy = compileUrlPolicy(options.allowedOrigins ?? []);
    // Native mode uses node:http(s) for its own few calls (`nodeTransport`, node-http.ts: the global
    // fetch would load undici, about 13 MB that an idle receiver does without); a proxy needs a
    // fetch that takes its dispatcher: the proxy's own, else the global one.
    const proxyFetch =
      options.proxy?.fetch ?? (options.proxy?.dispatcher !== undefined ? globalThis.fetch : undefined);
    const fetchImpl =
      (options.fetch as unknown as FetchLike | undefined) ??
      (proxyFetch as unknown as FetchLike | undefined) ??
      nodeTransport;
    this.http = {
      token: options.token,
      fetch: fetchImpl,
      timeoutMs: options.httpTimeout ?? 30_000,
      dispatcher: options.proxy?.dispatcher,
    };
    if (options.baseUrl) this.restBase = options.baseUrl.replace(/\/+$/, '');
    this.devices = new DeviceManager({
      http: this.http,
      u2cUrl: options.u2cUrl ?? DEFAULT_U2C_URL,
      urlPolicy: this.policy,
      deviceName: options.deviceName,
      logger: this.log,
    });
    this.seen = new BoundedSet(options.dedupeSize ?? 5000);
    this.handoff = new HandOff((event) => this.deliver(event), Math.max(1, options.maxInFlight ?? 64), 0);
    this.maxPending = Math.max(1, options.maxPending ?? 10_000);
    this.handlerTimeout = Math.max(1, options.handlerTimeout ?? DEFAULT_HANDLER_TIMEOUT_MS);
  }

  /**
   * Every listener runs inside a guard: one that throws or returns a rejected promise is reported on
   * `error` (and an `error` listener that fails is logged), never thrown into the socket's callbacks
   * and never an unhandled rejection. Without an `error` listener, errors are logged.
   */
  override emit<K extends keyof HandlerEvents>(event: K, ...args: HandlerEvents[K]): boolean;
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    const listeners = this.rawListeners(event as never) as Array<(...a: unknown[]) => unknown>;
    if (listeners.length === 0) {
      if (event === 'error') this.logError(args[0]);
      return false;
    }
    for (const listener of listeners) {
      try {
        const result = listener.apply(this, args);
        if (typeof (result as { then?: unknown } | undefined)?.then === 'function')
          (result as Promise<unknown>).then(undefined, (err: unknown) => this.listenerFailed(event, err));
      } catch (err) {
        this.listenerFailed(event, err);
      }
    }
    return true;
  }

  private listenerFailed(event: string | symbol, err: unknown): void {
    if (event === 'error') {
      this.log.error({ err: describe(err) }, 'mercury: an error listener failed');
      return;
    }
    this.emit('error', err instanceof Error ? err : new ProtocolError(`a ${String(event)} listener failed`));
  }

  private logError(err: unknown): void {
    const e = err as { code?: unknown; message?: unknown } | undefined;
    this.log.warn({ code: e?.code, err: describe(err) }, 'mercury: error (no error listener)');
  }

  /**
   * `Receiver`: hand every event to `sink` (after any `on(...)` listeners), awaited, and keep
   * receiving until `stop()`: when the socket gives up reconnecting, connect again later (`revive`).
   * Rejects when the first `connect()` fails.
   */
  async start(sink: EventSink): Promise<void> {
    if (typeof sink !== 'function') throw new InvalidArgumentError('start: sink must be a function');
    if (this.started) throw new InvalidArgumentError('already started; call stop() first');
    this.sink = sink;
    this.started = true;
    this.state = 'starting';
    try {
      await this.connect();
    } catch (err) {
      this.started = false;
      this.sink = undefined;
      this.state = 'stopped';
      throw err;
    }
  }

  /** `Receiver`: disconnect, then wait for the events in flight. */
  async stop(): Promise<void> {
    this.started = false;
    this.clock.clearTimeout(this.reviveTimer);
    this.reviveTimer = undefined;
    await this.disconnect();
    await this.idle();
    this.sink = undefined;
    this.state = 'stopped';
  }

  /** `Receiver`: connection state and the events in flight. */
  status(): ReceiverStatus {
    return { state: this.state, detail: `mercury ${this.state}`, inFlight: this.handoff.size };
  }

  /** Settles once every activity received so far has been handled. */
  async idle(): Promise<void> {
    while (this.handoff.size > 0 || this.handoff.busy) {
      const busy = this.handoff.busy;
      await Promise.all([this.queue, this.handoff.settled()]);
      if (!busy) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The reconcile watermark (server time, ms): every activity up to it has been handled (`HandOff`). */
  get watermark(): number {
    return this.handoff.watermark;
  }

  /** After the socket gave up: connect again after `revive`'s wait, while started. */
  private revive(): void {
    if (!this.started) return;
    const policy = retryPolicy(this.opts.revive, REVIVE_RETRY);
    const delay = backoff(policy, ++this.revivals);
    this.log.warn({ delay }, 'mercury gave up reconnecting; connecting again later');
    this.reviveTimer = holdOpen(
      this.clock.setTimeout(() => {
        this.reviveTimer = undefined;
        if (!this.started) return;
        this.connect().catch((err: unknown) => {
          this.log.warn({ err: describe(err) }, 'mercury: connecting again failed');
          if (canRetry(policy, err, this.revivals)) this.revive();
          else {
            this.state = 'failed';
            this.emit('error', err instanceof Error ? err : new ProtocolError('connecting again failed'));
          }
        });
      }, delay),
    );
  }

  /**
   * The REST client for reconciliation, made on first use (a receiver that never reconciles does
   * not need one); on the receiver's transport.
   */
  private get rest(): WebexClient {
    if (!this.restClient || this.restClientBase !== this.restBase) {
      this.restClientBase = this.restBase;
      this.restClient = new WebexClient({
        token: this.opts.token,
        baseUrl: this.restBase,
        fetch: this.opts.fetch ?? this.opts.proxy?.fetch,
        dispatcher: this.opts.proxy?.dispatcher,
        logger: this.log,
      });
    }
    return this.restClient;
  }

  /** Socket up and KMS ready. */
  get connected(): boolean {
    return this.isConnected;
  }

  /** Typed subscription: `on('message.created', e => …)`. */
  override on<K extends keyof HandlerEvents>(event: K, listener: (...args: HandlerEvents[K]) => void): this {
    return super.on(event as never, listener as never);
  }

  /** Register, connect, run the KMS handshake. Rejects (and cleans up) on any failure. */
  async connect(): Promise<void> {
    if (this.socket) throw new InvalidArgumentError('already connected; call disconnect() first');
    if ((this.opts.ignoreSelfMessages ?? true) && this.opts.selfId !== undefined) {
      this.selfUuid = idToUuid(this.opts.selfId, 'PEOPLE');
    } else if (this.opts.ignoreSelfMessages ?? true) {
      // 3R 0.6.15: fail closed; without our id a bot answering itself would loop.
      const { body: me } = await this.setupCall('people/me', () =>
        requestJson<{ id?: unknown }>(this.http, 'GET', `${this.restBase}/people/me`),
      );
      if (typeof me?.id !== 'string') throw new ProtocolError('/people/me answered without an id');
      this.selfUuid = idToUuid(me.id, 'PEOPLE');
    }
    // Registering again after a failure is safe: the device manager finds a device of ours by name.
    const reg = await this.setupCall('device registration', () => this.devices.register());
    if (!this.opts.baseUrl && reg.restBase) this.restBase = reg.restBase;
    const now = this.clock.now();
    // A later connect (after giving up) keeps the watermark: what came in between is recovered.
    if (this.connectedAt === 0) {
      const since = this.opts.reconcileSince;
      this.connectedAt = since !== undefined && Number.isFinite(since) && since < now ? since : now;
      this.handoff.reset(this.connectedAt);
    }
    const socket = new MercurySocket({
      url: reg.webSocketUrl,
      token: this.opts.token,
      pingInterval: this.opts.pingInterval,
      pongTimeout: this.opts.pongTimeout,
      reconnect: { cap: this.opts.reconnectBackoffMax, attempts: this.opts.maxReconnectAttempts },
      stabilityWindow: this.opts.reconnectStabilityWindow,
      clock: this.clock,
      webSocketFactory: this.opts.webSocketFactory,
      agent: this.opts.proxy?.agent,
      logger: this.log,
      reRegister: async () => (await this.devices.refresh()).webSocketUrl,
    });
    const kms = new KmsClient({
      http: this.http,
      encryptionServiceUrl: reg.encryptionServiceUrl,
      userId: reg.userId,
      deviceUrl: reg.url,
      urlPolicy: this.policy,
      requestTimeout: this.opts.kmsTimeout,
      clock: this.clock,
      logger: this.log,
    });
    this.socket = socket;
    this.kms = kms;
    this.decryptor = new MessageDecryptor(kms);
    socket.on('frame', (f, ack) => this.onFrame(f.eventType, f.data, ack));
    socket.on('sequenceGap', (gap) => this.onSequenceGap(gap));
    socket.on('reconnecting', ({ attempt, delay }) => {
      this.isConnected = false;
      if (this.started) this.state = 'down';
      this.roomSeenBeforeGap ??= new Map(this.roomSeenAt);
      this.emit('reconnecting', { attempt, delay });
    });
    socket.on('ready', ({ reconnect }) => {
      if (reconnect) void this.onReconnected();
    });
    socket.on('error', (err) => this.emit('error', err));
    socket.on('disconnected', ({ reason }) => {
      this.isConnected = false;
      this.roomSeenBeforeGap ??= new Map(this.roomSeenAt);
      if (reason !== 'client') {
        this.teardown();
        if (this.started) {
          const final = reason === 'auth-failed' || reason === 'replaced' || reason === 'permanent-failure';
          this.state = final ? 'failed' : 'down';
          if (final) this.log.error({ reason }, 'mercury stopped: no more events will arrive');
          else this.revive();
        }
        this.emit('disconnected', { reason });
      }
    });
    // Activities can arrive as soon as the socket is authorized, before the KMS handshake is done (even
    // in the same TCP read as the readiness frame). They wait, in order, behind this gate: none is
    // dropped, and none starts a second handshake of its own.
    let openGate: () => void = () => {};
    this.backlog++;
    this.queue = new Promise<void>((resolve) => {
      openGate = () => {
        this.backlog--;
        resolve();
      };
    });
    try {
      await socket.connect();
      await kms.initialize();
    } catch (err) {
      this.teardown();
      socket.disconnect();
      openGate();
      throw err;
    }
    this.isConnected = true;
    this.revivals = 0;
    if (this.started) this.state = 'up';
    const recoverFrom = this.watermark;
    this.emit('connected', { reconnect: false });
    openGate();
    // Started from an application's watermark, or connecting again after giving up: recover the gap.
    if ((this.opts.reconcile ?? true) && recoverFrom < now)
      this.scheduleReconcile(Math.max(recoverFrom - 2000, this.connectedAt));
  }

  /**
   * A setup call of `connect()`, tried again on a passing failure: no answer, 408/423/429 or 5xx. A
   * refused token or another 4xx fails at once; so does the last try.
   */
  private async setupCall<T>(what: string, call: () => Promise<T>): Promise<T> {
    const policy = retryPolicy({ attempts: Math.max(1, this.opts.connectAttempts ?? 4) }, SETUP_RETRY);
    return retrying(policy, call, {
      sleep: (ms) => new Promise<void>((resolve) => holdOpen(this.clock.setTimeout(resolve, ms))),
      onRetry: (err, attempt, wait) =>
        this.log.warn(
          { what, attempt, wait, error: describe(err) },
          'mercury setup call failed; trying again',
        ),
    });
  }

  /** Close the socket; unregister the device unless `unregisterOnDisconnect` is false. */
  async disconnect(): Promise<void> {
    const socket = this.socket;
    this.teardown();
    // The next connect() starts afresh (a connect after giving up keeps the watermark instead).
    this.connectedAt = 0;
    this.isConnected = false;
    if (socket) socket.disconnect();
    if (this.opts.unregisterOnDisconnect ?? true) {
      try {
        await this.devices.unregister();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'wdm: unregister failed');
      }
    }
    if (socket) this.emit('disconnected', { reason: 'client' });
  }

  private teardown(): void {
    this.kms?.close();
    this.socket = undefined;
    this.kms = undefined;
    this.decryptor = undefined;
  }

  private onFrame(eventType: string, data: Record<string, unknown>, ack: () => void): void {
    if (eventType.startsWith('encryption.')) {
      // §4.3: `data.encryption.kmsMessages` (SDK) or `data.kmsMessages` (3R).
      const enc = data.encryption as { kmsMessages?: unknown } | undefined;
      const list = enc?.kmsMessages ?? data.kmsMessages;
      if (Array.isArray(list)) this.kms?.handleKmsMessages(list);
      ack();
      return;
    }
    const activity = data.activity as Activity | undefined;
    if (eventType !== 'conversation.activity' || !activity || typeof activity !== 'object') {
      ack();
      return;
    }
    if (this.handoff.size >= this.maxPending) {
      // Back-pressure: the application is behind by maxPending activities. This one is not ACKed and
      // not held; its message comes back through REST from the watermark (which it is ahead of).
      this.log.warn(
        { pending: this.handoff.size },
        'mercury: too many activities pending; recovering through REST',
      );
      if (this.opts.reconcile ?? true)
        this.scheduleReconcile(Math.max(this.watermark - 2000, this.connectedAt));
      return;
    }
    const published = activity.published ? Date.parse(activity.published) : Number.NaN;
    const done = this.handoff.track(Number.isFinite(published) ? published : this.clock.now(), ack);
    const receivedAt = new Date(this.clock.now()).toISOString();
    const conversation = activity.target?.id ?? '';
    // Fast path: nothing queued and the key cached → decrypt and hand off now, no promise involved.
    if (this.backlog === 0 && this.handleCached(activity, receivedAt, conversation, done)) return;
    this.backlog++;
    this.queue = this.queue
      .then(() => this.handleActivity(activity, receivedAt, conversation, done))
      .finally(() => {
        this.backlog--;
      });
  }

  /** Our own message (3R 0.6.15 `ignoreSelfMessages`); also advances `roomSeenAt`. */
  private isOwnEcho(activity: Activity): boolean {
    const published = activity.published ? Date.parse(activity.published) : Number.NaN;
    const room = activity.target?.id;
    if (room && Number.isFinite(published) && published >= (this.roomSeenAt.get(room) ?? 0)) {
      this.roomSeenAt.delete(room);
      this.roomSeenAt.set(room, published);
      if (this.roomSeenAt.size > ROOMS_SEEN_MAX)
        this.roomSeenAt.delete(this.roomSeenAt.keys().next().value as string);
    }
    const actor = activity.actor?.entryUUID ?? activity.actor?.id;
    const isMessage = ['post', 'share', 'delete', 'update'].includes(activity.verb ?? '');
    return (
      isMessage &&
      this.selfUuid !== undefined &&
      actor === this.selfUuid &&
      activity.object?.objectType !== 'conversation'
    );
  }

  /** Handle an activity synchronously if its keys are cached; false (nothing done) otherwise. */
  private handleCached(
    activity: Activity,
    receivedAt: string,
    conversation: string,
    done: () => void,
  ): boolean {
    const decryptor = this.decryptor;
    if (!decryptor || this.isOwnEcho(activity)) {
      done();
      return true;
    }
    let clear: Activity | undefined;
    try {
      clear = decryptor.decryptCached(activity);
    } catch (err) {
      this.decryptionFailed(activity, err);
      done();
      return true;
    }
    if (clear === undefined) return false;
    this.handoff.run(conversation, this.eventsOf(clear, receivedAt), done);
    return true;
  }

  private async handleActivity(
    activity: Activity,
    receivedAt: string,
    conversation: string,
    done: () => void,
  ): Promise<void> {
    const decryptor = this.decryptor;
    if (!decryptor || this.isOwnEcho(activity)) {
      done();
      return;
    }
    let clear: Activity;
    try {
      clear = await decryptor.decryptActivity(activity);
    } catch (err) {
      this.decryptionFailed(activity, err);
      done();
      return;
    }
    this.handoff.run(conversation, this.eventsOf(clear, receivedAt), done);
  }

  private decryptionFailed(activity: Activity, err: unknown): void {
    // Never pass ciphertext on: the activity becomes an error event.
    const e = err instanceof Error ? err : new KmsError('decryption failed');
    this.log.warn(
      { code: (e as { code?: string }).code, verb: activity.verb },
      'mercury: activity not decrypted',
    );
    this.emit('error', e);
  }

  private eventsOf(clear: Activity, receivedAt: string): WebexEvent[] {
    return activityToEvents(clear, { restBase: this.restBase, receivedAt });
  }

  /**
   * Mercury numbers the frames of a connection 1, 2, 3… (§3.4); a jump means frames were lost on the
   * way. Messages among them are recovered through REST; other lost activities (memberships, room
   * changes) cannot be, and the warning says so.
   */
  private onSequenceGap(gap: { expected: number; received: number }): void {
    this.log.warn(
      { expected: gap.expected, received: gap.received },
      'mercury: sequenceNumber jumped; frames were lost, recovering messages through REST',
    );
    this.roomSeenTrusted = false;
    // Before this frame is handled, the watermark is still at or before the last activity before the gap.
    if (this.opts.reconcile ?? true)
      this.scheduleReconcile(Math.max(this.watermark - 2000, this.connectedAt));
  }

  /** Run `reconcile(since)`, or once more after the running one (with the earliest `since`). */
  private scheduleReconcile(since: number): void {
    if (this.reconciling) {
      this.reconcileAgainSince = Math.min(this.reconcileAgainSince ?? since, since);
      return;
    }
    const run = async (from: number): Promise<void> => {
      try {
        await this.reconcile(from);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'reconcile: could not recover missed messages');
        this.emit('error', err instanceof Error ? err : new KmsError('reconcile failed'));
      }
      const again = this.reconcileAgainSince;
      this.reconcileAgainSince = undefined;
      if (again !== undefined && this.socket) await run(again);
    };
    this.reconciling = run(since).finally(() => {
      this.reconciling = undefined;
    });
  }

  /** Run the event's listeners, then the sink, one after the other; failures become `HandlerError`s. */
  private deliver(event: WebexEvent): Promise<void> | undefined {
    if (event.type === 'message.created') {
      if (this.seen.has(event.data.id)) return undefined;
      this.seen.add(event.data.id);
    }
    const handlers = this.rawListeners(event.type as never) as Array<(event: never) => unknown>;
    if (this.sink) handlers.push(this.sink);
    return runHandlers(handlers, event, this.handlerTimeout, (failure) => this.emit('error', failure));
  }

  private async onReconnected(): Promise<void> {
    try {
      await this.devices.refresh();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'wdm: refresh after reconnect failed');
    }
    try {
      // §4.6: a new ECDH after every reconnect; content keys stay cached.
      await this.kms?.initialize();
    } catch (err) {
      this.emit('error', err instanceof Error ? err : new KmsError('KMS handshake failed'));
    }
    this.isConnected = this.socket?.connected ?? false;
    if (this.started) this.state = 'up';
    this.emit('connected', { reconnect: true });
    // 2 s of margin for clock skew between activities; duplicates are dropped by id.
    if (this.opts.reconcile ?? true)
      this.scheduleReconcile(Math.max(this.watermark - 2000, this.connectedAt));
  }

  /** Emit, once, the messages created since `since` (ms) that were not emitted yet, through REST. */
  private async reconcile(since: number): Promise<void> {
    const missed: RestMessage[] = [];
    // Only what was delivered before the gap vouches for a room: the snapshot taken at the drop
    // (none after lost frames, or when no socket dropped), and nothing newer than `since` + 2 s.
    const seen = (this.roomSeenTrusted && this.roomSeenBeforeGap) || new Map<string, number>();
    this.roomSeenTrusted = true;
    this.roomSeenBeforeGap = undefined;
    const trustUntil = since + 2000;
    for await (const room of this.rest.rooms.list({ sortBy: 'lastactivity', max: 100 })) {
      const last = room.lastActivity ? Date.parse(room.lastActivity) : Number.POSITIVE_INFINITY;
      if (last < since) break;
      const seenAt = seen.get(idToUuid(room.id));
      if (seenAt !== undefined && seenAt <= trustUntil && last <= seenAt) continue;
      const params =
        room.type === 'group'
          ? { roomId: room.id, mentionedPeople: 'me', max: 100 }
          : { roomId: room.id, max: 100 };
      for await (const m of this.rest.messages.list(params)) {
        if (Date.parse(m.created) < since) break;
        if (this.selfUuid && idToUuid(m.personId) === this.selfUuid) continue;
        if (!this.seen.has(m.id)) missed.push(m);
      }
    }
    missed.sort((a, b) => a.created.localeCompare(b.created));
    const receivedAt = new Date(this.clock.now()).toISOString();
    for (const m of missed) {
      const data = messageDataFromRest(m);
      const done = this.handoff.track(Date.parse(m.created));
      const event: WebexEvent = {
        type: 'message.created',
        data,
        actorId: m.personId,
        transport: 'mercury',
        receivedAt,
      };
      this.handoff.run(idToUuid(m.roomId), [event], done);
    }
    if (missed.length > 0) this.log.info({ count: missed.length }, 'reconcile: emitted missed messages');
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

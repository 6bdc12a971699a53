/**
 * `WebexMessageHandler`: receive Webex events over Mercury, no public URL needed (DESIGN.md §1).
 *
 * Orchestrates `DeviceManager` (U2C + WDM), `MercurySocket`, `KmsClient` and `MessageDecryptor`, and
 * turns activities into the typed events of `events.ts`. Sequence (protocol-mercury-kms.md §0):
 * `/people/me` (when filtering our own messages) → register → Mercury → KMS handshake → events.
 *
 * Nothing is lost across a reconnect: when the socket is back, the handler refreshes the device,
 * renegotiates the KMS key, then asks REST for messages since the last event it saw (rooms by last
 * activity; in group rooms only those mentioning the bot, as bots see them) and emits those it has
 * not emitted yet. Message ids are de-duplicated in a bounded set.
 */
import { EventEmitter } from 'node:events';
import {
  InvalidArgumentError,
  KmsError,
  ProtocolError,
  WebexApiError,
  WebexNetworkError,
} from '../errors.js';
import { messageDataFromRest, type WebexEvent, type WebexEventMap } from '../events.js';
import { idToUuid } from '../ids.js';
import { type Logger, silentLogger } from '../logger.js';
import { WebexClient } from '../rest/client.js';
import type { Message as RestMessage } from '../rest/types.js';
import { activityToEvents } from './activity.js';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { type Clock, holdOpen, systemClock } from './clock.js';
import { MessageDecryptor } from './decrypt.js';
import { DEFAULT_U2C_URL, DeviceManager } from './device.js';
import { type FetchLike, type HttpOptions, nodeFetch, requestJson } from './http.js';
import { KmsClient } from './kms.js';
import { type DisconnectReason, MercurySocket, type WebSocketFactory } from './socket.js';
import type { Activity } from './types.js';
import { compileUrlPolicy, type UrlPolicy } from './urls.js';

export interface WebexMessageHandlerOptions {
  /** Bot or user access token (required). Never logged. */
  token: string;
  /** Drop message events sent by the token's owner. Default true; `connect()` fails if `/people/me` fails. */
  ignoreSelfMessages?: boolean;
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
  /** Native mode proxying: `dispatcher` (undici, for fetch) and `agent` (`http.Agent`, for the WebSocket). */
  proxy?: { dispatcher?: unknown; agent?: unknown };
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
  logger?: Logger;
  /** Time source for heartbeats, backoff and timeouts (tests). */
  clock?: Clock;
}

export interface HandlerLifecycleEvents {
  connected: [{ reconnect: boolean }];
  disconnected: [{ reason: DisconnectReason }];
  reconnecting: [{ attempt: number; delay: number }];
  /** A failure that did not stop the handler (a message that could not be decrypted, a KMS refusal…) or, before `disconnected`, one that did. */
  error: [Error];
}

type HandlerEvents = { [K in keyof WebexEventMap]: [WebexEventMap[K]] } & HandlerLifecycleEvents;

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

/** Rooms whose newest delivered activity is remembered for reconciling. */
const ROOMS_SEEN_MAX = 20_000;

export class WebexMessageHandler extends EventEmitter<HandlerEvents> {
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
  /** Server time (ms) of the newest activity handled; reconciliation starts there. */
  private lastSeen = 0;
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
    ] as const) {
      const v = options[k];
      if (v !== undefined && (!Number.isFinite(v) || v < 0))
        throw new InvalidArgumentError(`${k} must be a non-negative number`);
    }
    this.opts = options;
    this.log = options.logger ?? silentLogger;
    this.clock = options.clock ?? systemClock;
    this.policy = compileUrlPolicy(options.allowedOrigins ?? []);
    // Native mode uses node:http(s) for its own few calls (see `nodeFetch`); a proxy dispatcher is
    // undici's, so it needs the global fetch.
    const fetchImpl =
      (options.fetch as unknown as FetchLike | undefined) ??
      (options.proxy?.dispatcher !== undefined ? (globalThis.fetch as unknown as FetchLike) : nodeFetch);
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
  }

  /**
   * The REST client for reconciliation, made on first use: it runs on the global fetch (undici), which
   * a handler that never reconciles does not need to load (memory, see `nodeFetch`).
   */
  private get rest(): WebexClient {
    if (!this.restClient || this.restClientBase !== this.restBase) {
      this.restClientBase = this.restBase;
      this.restClient = new WebexClient({
        token: this.opts.token,
        baseUrl: this.restBase,
        fetch: this.opts.fetch,
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
    if (this.opts.ignoreSelfMessages ?? true) {
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
    this.lastSeen = this.clock.now();
    this.connectedAt = this.lastSeen;
    const socket = new MercurySocket({
      url: reg.webSocketUrl,
      token: this.opts.token,
      pingInterval: this.opts.pingInterval,
      pongTimeout: this.opts.pongTimeout,
      backoff: {
        maxDelay: this.opts.reconnectBackoffMax ?? 32_000,
        maxAttempts: this.opts.maxReconnectAttempts ?? 10,
        stabilityWindow: this.opts.reconnectStabilityWindow ?? 60_000,
      },
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
    socket.on('frame', (f) => this.onFrame(f.eventType, f.data));
    socket.on('sequenceGap', (gap) => this.onSequenceGap(gap));
    socket.on('reconnecting', ({ attempt, delay }) => {
      this.isConnected = false;
      this.emit('reconnecting', { attempt, delay });
    });
    socket.on('ready', ({ reconnect }) => {
      if (reconnect) void this.onReconnected();
    });
    socket.on('error', (err) => this.emit('error', err));
    socket.on('disconnected', ({ reason }) => {
      this.isConnected = false;
      if (reason !== 'client') {
        this.teardown();
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
    this.emit('connected', { reconnect: false });
    openGate();
  }

  /**
   * A setup call of `connect()`, tried again on a passing failure: no answer, 408/423/429 or 5xx. A
   * refused token or another 4xx fails at once; so does the last try.
   */
  private async setupCall<T>(what: string, call: () => Promise<T>): Promise<T> {
    const tries = Math.max(1, this.opts.connectAttempts ?? 4);
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (err) {
        const passing =
          err instanceof WebexNetworkError || (err instanceof WebexApiError && !err.isPermanent);
        if (!passing || attempt >= tries) throw err;
        const wait =
          err instanceof WebexApiError && err.retryAfter !== undefined
            ? Math.min(err.retryAfter * 1000, 60_000)
            : backoffDelay(DEFAULT_BACKOFF, attempt);
        this.log.warn({ what, attempt, wait, error: err.message }, 'mercury setup call failed; trying again');
        await new Promise<void>((resolve) => holdOpen(this.clock.setTimeout(resolve, wait)));
      }
    }
  }

  /** Close the socket; unregister the device unless `unregisterOnDisconnect` is false. */
  async disconnect(): Promise<void> {
    const socket = this.socket;
    this.teardown();
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

  private onFrame(eventType: string, data: Record<string, unknown>): void {
    if (eventType.startsWith('encryption.')) {
      // §4.6: `data.encryption.kmsMessages` (SDK) or `data.kmsMessages` (3R).
      const enc = data.encryption as { kmsMessages?: unknown } | undefined;
      const list = enc?.kmsMessages ?? data.kmsMessages;
      if (Array.isArray(list)) this.kms?.handleKmsMessages(list);
      return;
    }
    if (eventType !== 'conversation.activity') return;
    const activity = data.activity;
    if (!activity || typeof activity !== 'object') return;
    const receivedAt = new Date(this.clock.now()).toISOString();
    // Fast path: nothing queued and the key cached → decrypt and emit now, no promise involved.
    if (this.backlog === 0 && this.handleCached(activity as Activity, receivedAt)) return;
    this.backlog++;
    this.queue = this.queue
      .then(() => this.handleActivity(activity as Activity, receivedAt))
      .finally(() => {
        this.backlog--;
      });
  }

  /** Our own message (3R 0.6.15 `ignoreSelfMessages`); also advances `lastSeen` and `roomSeenAt`. */
  private isOwnEcho(activity: Activity): boolean {
    const published = activity.published ? Date.parse(activity.published) : Number.NaN;
    if (Number.isFinite(published) && published > this.lastSeen) this.lastSeen = published;
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
  private handleCached(activity: Activity, receivedAt: string): boolean {
    const decryptor = this.decryptor;
    if (!decryptor || this.isOwnEcho(activity)) return true;
    let clear: Activity | undefined;
    try {
      clear = decryptor.decryptCached(activity);
    } catch (err) {
      this.decryptionFailed(activity, err);
      return true;
    }
    if (clear === undefined) return false;
    this.emitActivity(clear, receivedAt);
    return true;
  }

  private async handleActivity(activity: Activity, receivedAt: string): Promise<void> {
    const decryptor = this.decryptor;
    if (!decryptor || this.isOwnEcho(activity)) return;
    let clear: Activity;
    try {
      clear = await decryptor.decryptActivity(activity);
    } catch (err) {
      this.decryptionFailed(activity, err);
      return;
    }
    this.emitActivity(clear, receivedAt);
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

  private emitActivity(clear: Activity, receivedAt: string): void {
    for (const event of activityToEvents(clear, { restBase: this.restBase, receivedAt })) this.deliver(event);
  }

  /**
   * Mercury numbers the frames of a connection 1, 2, 3… (§2.5); a jump means frames were lost on the
   * way. Messages among them are recovered through REST; other lost activities (memberships, room
   * changes) cannot be, and the warning says so.
   */
  private onSequenceGap(gap: { expected: number; received: number }): void {
    this.log.warn(
      { expected: gap.expected, received: gap.received },
      'mercury: sequenceNumber jumped; frames were lost, recovering messages through REST',
    );
    this.roomSeenTrusted = false;
    // Before this frame is handled, `lastSeen` is still the time of the last activity before the gap.
    if (this.opts.reconcile ?? true) this.scheduleReconcile(Math.max(this.lastSeen - 2000, this.connectedAt));
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

  private deliver(event: WebexEvent): void {
    if (event.type === 'message.created') {
      if (this.seen.has(event.data.id)) return;
      this.seen.add(event.data.id);
    }
    try {
      this.emit(event.type, event as never);
    } catch (err) {
      this.log.error({ err: (err as Error).message, type: event.type }, 'handler: listener threw');
    }
  }

  private async onReconnected(): Promise<void> {
    try {
      await this.devices.refresh();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'wdm: refresh after reconnect failed');
    }
    try {
      // §4.11: a new ECDH after every reconnect; content keys stay cached.
      await this.kms?.initialize();
    } catch (err) {
      this.emit('error', err instanceof Error ? err : new KmsError('KMS handshake failed'));
    }
    this.isConnected = this.socket?.connected ?? false;
    this.emit('connected', { reconnect: true });
    // 2 s of margin for clock skew between activities; duplicates are dropped by id.
    if (this.opts.reconcile ?? true) this.scheduleReconcile(Math.max(this.lastSeen - 2000, this.connectedAt));
  }

  /** Emit, once, the messages created since `since` (ms) that were not emitted yet, through REST. */
  private async reconcile(since: number): Promise<void> {
    const missed: RestMessage[] = [];
    const seen = this.roomSeenTrusted ? this.roomSeenAt : new Map<string, number>();
    this.roomSeenTrusted = true;
    // Only what was delivered before the gap vouches for a room (`since` is 2 s before its start):
    // a frame of the new connection may already have been handled, and says nothing of the gap.
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
      this.deliver({ type: 'message.created', data, actorId: m.personId, transport: 'mercury', receivedAt });
    }
    if (missed.length > 0) this.log.info({ count: missed.length }, 'reconcile: emitted missed messages');
  }
}

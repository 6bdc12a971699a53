/**
 * The framework-free webhook receiver. Adapters (adapters/) turn a node:http request, an Express
 * request, a Web `Request` or a Lambda event into `{ headers, rawBody }`, call `handle`, and write
 * back `{ status, body }`.
 *
 * Order of checks, each before the next (STYLE.md smells; docs/protocol.md §8.4, §8.5):
 * body size (413) -> `X-Spark-Signature` over the raw bytes (401; nothing else runs) -> JSON (400)
 * -> dedupe (duplicate: 200, not processed again) -> 200 at once, then (asynchronously) drop the
 * bot's own messages, hydrate and emit (Webex only looks at the status code, §8.5; its timeout is
 * unknown, so the answer must not wait for a REST round trip).
 */
import type { KeyObject } from 'node:crypto';
import { InvalidArgumentError, ProtocolError } from '../errors.js';
import type { WebexEvent, WebexEventMap, WebexEventType } from '../events.js';
import { sameId } from '../ids.js';
import { type Logger, silentLogger } from '../logger.js';
import {
  DEFAULT_HANDLER_TIMEOUT_MS,
  type EventSink,
  type Receiver,
  type ReceiverStatus,
  runHandlers,
} from '../receiver.js';
import { type DedupeStore, deliveryKey, MemoryDedupeStore } from './dedupe.js';
import {
  eventFromData,
  hydrateEnvelope,
  needsFetch,
  type WebhookEnvelope,
  type WebhookHydrationClient,
} from './hydrate.js';
import { SIGNATURE_HEADER, secretKeys, verifyWithKeys } from './verify.js';

/** Headers as node gives them (lower-case keys) or anything with a case-insensitive `get`. */
export type HeaderBag =
  | Readonly<Record<string, string | string[] | undefined>>
  | { get(name: string): string | null };

export interface WebhookRequest {
  headers: HeaderBag;
  /** The body exactly as received. A string is taken as its UTF-8 bytes. */
  rawBody: Uint8Array | string;
}

export interface WebhookResponse {
  /** 200 accepted (or duplicate), 400 malformed, 401 signature, 413 too large, 503 overloaded. */
  status: number;
  /** A short plain-text reason; never anything from the request. */
  body: string;
  /**
   * Settles when the delivery has been hydrated and every handler has run (at once when nothing is
   * processed). Never rejects. The Lambda adapter awaits it, since a frozen function would not finish.
   */
  processed: Promise<void>;
}

/** Where an error reported through `onError` / the `error` event happened. */
export interface WebhookErrorContext {
  /** `identity`: `GET /people/me` failed, so a message delivery was dropped (`ignoreSelfMessages`). */
  stage: 'dedupe' | 'identity' | 'hydrate' | 'handler';
  resource?: string | undefined;
  event?: string | undefined;
  /** `data.id` of the delivery (a REST id; no content). */
  dataId?: string | undefined;
  /** The typed event's type, for `handler` errors. */
  eventType?: WebexEventType | undefined;
}

export interface WebhookReceiverOptions {
  /** The webhook secret. Give this or `secrets`; a receiver without a secret cannot exist. */
  secret?: string | undefined;
  /** Every accepted secret, e.g. `[next, current]` while rotating (`syncWebhooks` sets the new one). */
  secrets?: readonly string[] | undefined;
  /** REST client used to fetch messages, attachment actions and the bot's own id. A `WebexClient` fits. */
  client: WebhookHydrationClient;
  /**
   * Drop `message.*` events whose sender (`personId`) is the token's owner: Webex reports a bot's own
   * posts to its webhooks, and a bot answering them loops (docs/protocol.md §7.8). The id comes
   * from `client.people.me()` on the first message delivery and is cached; the check uses the
   * envelope's `data.personId`, so the bot's own messages are never fetched. While that lookup
   * fails, message events fail closed: reported (stage `identity`), not emitted; the next message
   * delivery tries again. Default true, as `WebexMessageHandler`.
   */
  ignoreSelfMessages?: boolean | undefined;
  /**
   * The bot's own PEOPLE id, when the application already knows it (it has called `people.me()`):
   * then the receiver never asks. Default: asked on the first message delivery.
   */
  selfId?: string | undefined;
  /**
   * How long a sink or listener may take on one event (ms) before the receiver reports a
   * `HandlerError` and stops waiting for it. Default 300000 (5 minutes).
   */
  handlerTimeout?: number | undefined;
  /** Largest body accepted, in bytes; larger answers 413. Default 1 MiB (1048576). */
  maxBodyBytes?: number | undefined;
  /** Delivery de-duplication; default an in-memory LRU of 10000 keys. `false` turns it off. */
  dedupe?: DedupeStore | false | undefined;
  /**
   * Deliveries being processed at once; beyond it the receiver answers 503 instead of queueing
   * without bound. Default 1000.
   */
  maxInFlight?: number | undefined;
  /** Waits (ms) between GETs answering 404 right after creation (§8.5). Default `[250, 500, 1000, 2000]`. */
  notFoundRetryDelaysMs?: readonly number[] | undefined;
  /** Default: silent. Never receives secrets or message content. */
  logger?: Logger | undefined;
  /**
   * Called for every processing error (in addition to `error` listeners). A failing sink or listener
   * arrives as a `HandlerError` (the event and the cause) with stage `handler`.
   */
  onError?: ((error: unknown, context: WebhookErrorContext) => void) | undefined;
  /** Injected for tests. Default `setTimeout`-based. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
  /** Injected clock for `receivedAt`. Default `() => new Date()`. */
  now?: (() => Date) | undefined;
}

/** A listener of one event type. */
export type EventHandler<E> = (event: E) => void | Promise<void>;
/** A listener of the `error` channel, with where the failure happened. */
export type ErrorHandler = (error: unknown, context: WebhookErrorContext) => void;

/**
 * The answer itself when it is ready at once, else a promise of it: `handle` without its promise, for
 * the node:http and Express adapters' hot path. Internal to the webhooks folder; not exported from
 * the package.
 */
export let answerNow: (
  receiver: WebhookReceiver,
  request: WebhookRequest,
) => WebhookResponse | Promise<WebhookResponse>;

const DEFAULT_MAX_BODY = 1024 * 1024;
const DEFAULT_NOT_FOUND_DELAYS = [250, 500, 1000, 2000] as const;
const DONE: Promise<void> = Promise.resolve();

export class WebhookReceiver implements Receiver {
  static {
    answerNow = (receiver, request) => receiver.#answer(request);
  }

  /** Largest accepted body in bytes (adapters stop reading beyond it). */
  readonly maxBodyBytes: number;
  readonly #keys: KeyObject[];
  readonly #client: WebhookHydrationClient;
  readonly #ignoreSelf: boolean;
  /** Our PEOPLE id, once `people.me()` answered. */
  #selfId: string | undefined;
  /** The lookup under way, shared by the deliveries that wait for it; cleared when it settles. */
  #selfLookup: Promise<string> | undefined;
  readonly #dedupe: DedupeStore | undefined;
  readonly #maxInFlight: number;
  readonly #delays: readonly number[];
  readonly #logger: Logger;
  readonly #onError: WebhookReceiverOptions['onError'];
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => Date;
  readonly #handlers = new Map<string, Array<EventHandler<never>>>();
  readonly #errorHandlers: ErrorHandler[] = [];
  readonly #handlerTimeout: number;
  #sink: EventSink | undefined;
  #state: ReceiverStatus['state'] = 'stopped';
  #stopped = false;
  #inFlight = 0;
  #idleWaiters: Array<() => void> = [];

  constructor(options: WebhookReceiverOptions) {
    const secrets = [...(options.secret !== undefined ? [options.secret] : []), ...(options.secrets ?? [])];
    if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length === 0)) {
      throw new InvalidArgumentError(
        'WebhookReceiver: secret (or secrets) must be one or more non-empty strings',
      );
    }
    if (!options.client)
      throw new InvalidArgumentError('WebhookReceiver: client is required (used for hydration)');
    this.maxBodyBytes = positiveInt(options.maxBodyBytes ?? DEFAULT_MAX_BODY, 'maxBodyBytes');
    this.#maxInFlight = positiveInt(options.maxInFlight ?? 1000, 'maxInFlight');
    this.#keys = secretKeys(secrets);
    this.#client = options.client;
    this.#ignoreSelf = options.ignoreSelfMessages ?? true;
    if (options.selfId !== undefined && (typeof options.selfId !== 'string' || options.selfId.length === 0))
      throw new InvalidArgumentError('WebhookReceiver: selfId must be a non-empty string');
    this.#selfId = options.selfId;
    this.#handlerTimeout = positiveInt(
      options.handlerTimeout ?? DEFAULT_HANDLER_TIMEOUT_MS,
      'handlerTimeout',
    );
    if (this.#ignoreSelf && this.#selfId === undefined && typeof options.client.people?.me !== 'function') {
      throw new InvalidArgumentError(
        'WebhookReceiver: client.people.me is required while ignoreSelfMessages is true (the default); pass a WebexClient or set ignoreSelfMessages: false',
      );
    }
    this.#dedupe = options.dedupe === false ? undefined : (options.dedupe ?? new MemoryDedupeStore());
    this.#delays = options.notFoundRetryDelaysMs ?? DEFAULT_NOT_FOUND_DELAYS;
    this.#logger = options.logger ?? silentLogger;
    this.#onError = options.onError;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#now = options.now ?? (() => new Date());
  }

  /** Listen for one event type, every event (`'event'`), or processing errors (`'error'`). */
  on<T extends WebexEventType>(type: T, handler: EventHandler<WebexEventMap[T]>): this;
  on(type: 'event', handler: EventHandler<WebexEvent>): this;
  on(type: 'error', handler: ErrorHandler): this;
  on(type: string, handler: EventHandler<never> | ErrorHandler): this {
    if (type === 'error') this.#errorHandlers.push(handler as ErrorHandler);
    else {
      const list = this.#handlers.get(type) ?? [];
      list.push(handler as EventHandler<never>);
      this.#handlers.set(type, list);
    }
    return this;
  }

  /** Remove a handler added with `on`. */
  off(type: string, handler: (...args: never[]) => unknown): this {
    if (type === 'error') {
      const i = this.#errorHandlers.indexOf(handler as ErrorHandler);
      if (i >= 0) this.#errorHandlers.splice(i, 1);
    } else {
      const list = this.#handlers.get(type);
      const i = list?.indexOf(handler as EventHandler<never>) ?? -1;
      if (list && i >= 0) list.splice(i, 1);
    }
    return this;
  }

  /**
   * `Receiver`: hand every event to `sink` (after the `on(...)` listeners), awaited. Webhooks need no
   * connection, so this only sets the sink; the HTTP server that mounts an adapter is the caller's.
   */
  async start(sink: EventSink): Promise<void> {
    if (typeof sink !== 'function')
      throw new InvalidArgumentError('WebhookReceiver.start: sink must be a function');
    this.#sink = sink;
    this.#state = 'up';
  }

  /** `Receiver`: answer 503 to new deliveries from now on, and wait for those in flight. */
  async stop(): Promise<void> {
    this.#sink = undefined;
    this.#state = 'stopped';
    this.#stopped = true;
    await this.idle();
  }

  /** `Receiver`: always up while started (Webex calls us; there is no connection to lose). */
  status(): ReceiverStatus {
    return { state: this.#state, detail: `webhook ${this.#state}`, inFlight: this.#inFlight };
  }

  /** Deliveries accepted and still being processed. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Settles when every accepted delivery has been processed (for tests and graceful shutdown). */
  idle(): Promise<void> {
    if (this.#inFlight === 0) return DONE;
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Check one delivery and answer it. Never throws. */
  async handle(request: WebhookRequest): Promise<WebhookResponse> {
    return this.#answer(request);
  }

  /** `handle`, synchronous unless the dedupe store is asynchronous. Never throws. */
  #answer(request: WebhookRequest): WebhookResponse | Promise<WebhookResponse> {
    let rawBody: Uint8Array | string;
    let headers: HeaderBag;
    try {
      ({ rawBody, headers } = request);
      const size = typeof rawBody === 'string' ? Buffer.byteLength(rawBody) : rawBody.byteLength;
      if (size > this.maxBodyBytes) return answer(413, 'payload too large');
      const signature = header(headers, SIGNATURE_HEADER);
      if (!verifyWithKeys(this.#keys, rawBody, signature)) {
        this.#logger.warn(
          { signature: signature === undefined ? 'missing' : 'wrong' },
          'webhook refused: bad signature',
        );
        return answer(401, 'invalid signature');
      }
    } catch {
      // Only reachable with a request object that breaks its own types (a throwing getter, …).
      return answer(400, 'bad request');
    }
    const envelope = parseEnvelope(rawBody);
    if (!envelope) return answer(400, 'malformed webhook body');
    if (this.#inFlight >= this.#maxInFlight) return answer(503, 'busy');
    if (this.#stopped) return answer(503, 'stopped');

    if (!this.#dedupe) return this.#accept(envelope);
    let seen: boolean | Promise<boolean>;
    try {
      seen = this.#dedupe.seen(deliveryKey(envelope.resource, envelope.event, envelope.data));
    } catch (err) {
      return this.#dedupeFailed(err, envelope);
    }
    // Wait only for a store that is really asynchronous: the in-memory one answers at once.
    // `Promise.resolve`: a store's own thenable becomes a real promise (the adapters test for one).
    if (typeof seen !== 'boolean') {
      return Promise.resolve(seen).then(
        (known) => (known ? this.#duplicate(envelope) : this.#accept(envelope)),
        (err: unknown) => this.#dedupeFailed(err, envelope),
      );
    }
    return seen ? this.#duplicate(envelope) : this.#accept(envelope);
  }

  #accept(envelope: WebhookEnvelope): WebhookResponse {
    this.#inFlight++;
    return { status: 200, body: 'ok', processed: this.#process(envelope) };
  }

  #duplicate({ resource, event, data }: WebhookEnvelope): WebhookResponse {
    this.#logger.debug({ resource, event, dataId: data.id }, 'webhook duplicate ignored');
    return answer(200, 'duplicate');
  }

  #dedupeFailed(err: unknown, envelope: WebhookEnvelope): WebhookResponse {
    // Fail open: a possible duplicate is better than a lost event.
    const { resource, event, data } = envelope;
    this.#report(err, { stage: 'dedupe', resource, event, dataId: data.id });
    return this.#accept(envelope);
  }

  async #process(envelope: WebhookEnvelope): Promise<void> {
    try {
      await this.#hydrateAndEmit(envelope);
    } finally {
      if (--this.#inFlight === 0) for (const wake of this.#idleWaiters.splice(0)) wake();
    }
  }

  async #hydrateAndEmit(envelope: WebhookEnvelope): Promise<void> {
    const { resource, event, data } = envelope;
    let selfId: string | undefined;
    if (this.#ignoreSelf && resource === 'messages') {
      try {
        const self = this.#self();
        selfId = typeof self === 'string' ? self : await self;
      } catch (err) {
        // Fail closed: without our id a bot answering its own messages would loop (§7.8).
        this.#report(err, { stage: 'identity', resource, event, dataId: data.id });
        return;
      }
      // §8.3: message deliveries name the sender, so the bot's own posts cost no GET.
      if (sameId(str(data.personId), selfId)) {
        this.#logger.debug({ resource, event, dataId: data.id }, 'webhook: own message ignored');
        return;
      }
    }
    let typed: WebexEvent | undefined;
    try {
      // Memberships, rooms and deletes are built from `data` at once; only the rest wait for REST.
      typed = needsFetch(envelope)
        ? await hydrateEnvelope(envelope, {
            client: this.#client,
            notFoundRetryDelaysMs: this.#delays,
            sleep: this.#sleep,
            now: this.#now,
          })
        : eventFromData(envelope, { now: this.#now });
    } catch (err) {
      this.#report(err, { stage: 'hydrate', resource, event, dataId: data.id });
      return;
    }
    if (!typed) {
      this.#logger.debug({ resource, event }, 'webhook without a typed event ignored');
      return;
    }
    // An envelope without `data.personId` (not seen on the wire, §8.3) is checked once hydrated.
    if (selfId !== undefined && isMessageEvent(typed) && sameId(typed.data.personId, selfId)) return;
    const own = this.#handlers.get(typed.type);
    const all = this.#handlers.get('event');
    if (own) await this.#run(own, typed, envelope);
    if (all) await this.#run(all, typed, envelope);
    if (this.#sink) await this.#run([this.#sink], typed, envelope);
  }

  /** Run handlers one after the other; a failure is reported (stage `handler`) and the next runs. */
  #run(handlers: ReadonlyArray<(event: never) => unknown>, typed: WebexEvent, envelope: WebhookEnvelope) {
    const { resource, event, data } = envelope;
    return runHandlers(
      handlers.length === 1 ? handlers : [...handlers],
      typed,
      this.#handlerTimeout,
      (failure) =>
        this.#report(failure, { stage: 'handler', resource, event, dataId: data.id, eventType: typed.type }),
    );
  }

  /** Our id, or the lookup every waiting delivery shares. A failure is not cached. */
  #self(): string | Promise<string> {
    if (this.#selfId !== undefined) return this.#selfId;
    this.#selfLookup ??= this.#client.people.me().then(
      (me) => {
        this.#selfLookup = undefined;
        if (typeof me?.id !== 'string' || me.id.length === 0) {
          throw new ProtocolError('GET /people/me answered without an id; own messages cannot be told apart');
        }
        this.#selfId = me.id;
        return me.id;
      },
      (err: unknown) => {
        this.#selfLookup = undefined;
        throw err;
      },
    );
    return this.#selfLookup;
  }

  #report(error: unknown, context: WebhookErrorContext): void {
    const listeners = [...(this.#onError ? [this.#onError] : []), ...this.#errorHandlers];
    if (listeners.length === 0) {
      this.#logger.error({ ...context, err: describeError(error) }, 'webhook processing failed');
      return;
    }
    for (const listener of listeners) {
      try {
        listener(error, context);
      } catch (err) {
        this.#logger.error({ ...context, err: describeError(err) }, 'webhook error listener threw');
      }
    }
  }
}

function answer(status: number, body: string): WebhookResponse {
  return { status, body, processed: DONE };
}

/** The envelope, or `undefined` when the body is not JSON or lacks `resource`, `event`, `data.id`. */
export function parseEnvelope(rawBody: Uint8Array | string): WebhookEnvelope | undefined {
  let parsed: unknown;
  try {
    const text = typeof rawBody === 'string' ? rawBody : utf8(rawBody);
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  const { resource, event, data } = parsed;
  if (typeof resource !== 'string' || typeof event !== 'string') return undefined;
  if (!isRecord(data) || typeof data.id !== 'string') return undefined;
  return parsed as unknown as WebhookEnvelope;
}

/** One header value; a repeated header counts as absent (ambiguous). */
export function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const bag = headers as Readonly<Record<string, string | string[] | undefined>>;
  let value = bag[name];
  if (value === undefined) {
    for (const key of Object.keys(bag)) {
      if (key.toLowerCase() === name) {
        value = bag[key];
        break;
      }
    }
  }
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** Decode without copying (`Buffer.from(uint8array)` would copy the bytes first). */
function utf8(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buf.toString('utf8');
}

function isMessageEvent(e: WebexEvent): e is Extract<WebexEvent, { type: `message.${string}` }> {
  return e.type === 'message.created' || e.type === 'message.updated' || e.type === 'message.deleted';
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`WebhookReceiver: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof Error)
    return { name: err.name, message: err.message, code: (err as { code?: unknown }).code };
  return { message: String(err) };
}

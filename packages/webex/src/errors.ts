/**
 * Error classes. Every error carries a stable `code`. Messages say what happened and what to do;
 * they never contain a token, a secret, a key or a message body.
 *
 * Split by origin (as grammY does): `WebexApiError` when Webex answered with an error status,
 * `WebexNetworkError` when no answer came (connection refused, reset, timeout), and the
 * receiver-side errors (`AuthError`, `DecryptionError`, `KmsError`, `ProtocolError`).
 */
import type { WebexEvent } from './events.js';

/** The stable `code` of every Herald error, for matching without `instanceof`. */
export type HeraldErrorCode =
  | 'HERALD_API_ERROR'
  | 'HERALD_NETWORK_ERROR'
  | 'HERALD_TIMEOUT'
  | 'HERALD_PROXY'
  | 'HERALD_ABORTED'
  | 'HERALD_INVALID_ID'
  | 'HERALD_AUTH'
  | 'HERALD_DECRYPTION'
  | 'HERALD_KMS'
  | 'HERALD_PROTOCOL'
  | 'HERALD_URL_NOT_ALLOWED'
  | 'HERALD_HANDLER'
  | 'HERALD_INVALID_ARGUMENT'
  | 'HERALD_CONFIG';

export class HeraldError extends Error {
  readonly code: HeraldErrorCode;
  constructor(code: HeraldErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export interface WebexApiErrorInit {
  status: number;
  method: string;
  /** Path of the request, without query string and without host (never contains the token). */
  path: string;
  /** Webex's top-level `message`. */
  message?: string | undefined;
  /** Every `errors[].description` of the body. */
  descriptions?: string[] | undefined;
  /** `trackingId` from the body, else the `TrackingID` header. */
  trackingId?: string | undefined;
  /** `Retry-After` in seconds, when the answer carried one. */
  retryAfter?: number | undefined;
  /** The parsed error body, when it was JSON. */
  body?: unknown;
}

/** Webex answered with a non-2xx status. */
export class WebexApiError extends HeraldError {
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly apiMessage: string | undefined;
  readonly descriptions: string[];
  readonly trackingId: string | undefined;
  readonly retryAfter: number | undefined;
  readonly body: unknown;

  constructor(init: WebexApiErrorInit) {
    const detail = init.message ?? init.descriptions?.[0] ?? 'no message';
    const tracking = init.trackingId ? ` (trackingId ${init.trackingId})` : '';
    super('HERALD_API_ERROR', `${init.method} ${init.path} answered ${init.status}: ${detail}${tracking}`);
    this.status = init.status;
    this.method = init.method;
    this.path = init.path;
    this.apiMessage = init.message;
    this.descriptions = init.descriptions ?? [];
    this.trackingId = init.trackingId;
    this.retryAfter = init.retryAfter;
    this.body = init.body;
  }

  /** 4xx other than 408/423/429: repeating the same request will not help. */
  get isPermanent(): boolean {
    return this.status >= 400 && this.status < 500 && ![408, 423, 429].includes(this.status);
  }
}

/** No answer from Webex: DNS, connection refused or reset, TLS, or the per-call timeout. */
export class WebexNetworkError extends HeraldError {
  readonly method: string;
  readonly path: string;
  constructor(
    method: string,
    path: string,
    reason: string,
    options?: { cause?: unknown; timeout?: boolean },
  ) {
    super(
      options?.timeout ? 'HERALD_TIMEOUT' : 'HERALD_NETWORK_ERROR',
      `${method} ${path} failed: ${reason}`,
      options,
    );
    this.method = method;
    this.path = path;
  }
}

/**
 * The HTTP proxy refused to carry a request: 407 (it wants credentials, or refused the ones given)
 * or another status in answer to `CONNECT`. `proxy` is the proxy's origin, never its credentials.
 * A `WebexNetworkError`, so that every retry path treats it as a passing failure (the proxy may be
 * reconfigured, or come back) and keeps trying with backoff.
 */
export class ProxyError extends WebexNetworkError {
  override readonly code: HeraldErrorCode = 'HERALD_PROXY';
  /** Origin of the proxy (`http://proxy.example:3128`), without user or password. */
  readonly proxy: string;
  /** The proxy's status, e.g. 407 or 403. */
  readonly status: number;
  constructor(init: { proxy: string; status: number; method: string; target: string }) {
    super(init.method, init.target, `proxy ${init.proxy} answered ${init.status}`);
    const why = init.status === 407 ? 'asks for credentials it did not accept' : 'refused it';
    this.message = `the proxy ${init.proxy} ${why} (${init.status} to ${init.method} ${init.target}); check HTTPS_PROXY, HTTP_PROXY and NO_PROXY`;
    this.proxy = init.proxy;
    this.status = init.status;
  }
}

/** The caller aborted the request through its AbortSignal. */
export class AbortedError extends HeraldError {
  constructor(what: string, options?: { cause?: unknown }) {
    super('HERALD_ABORTED', `${what} was aborted`, options);
  }
}

export class InvalidIdError extends HeraldError {
  constructor(message: string) {
    super('HERALD_INVALID_ID', message);
  }
}

export class InvalidArgumentError extends HeraldError {
  constructor(message: string) {
    super('HERALD_INVALID_ARGUMENT', message);
  }
}

/** The token was refused (401, Mercury 4401) or lacks a scope (4403). Fatal: reconnecting will not help. */
export class AuthError extends HeraldError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HERALD_AUTH', message, options);
  }
}

/**
 * A field could not be decrypted. One fixed message, whatever the cause (as jose does), so that
 * nothing about the key or the ciphertext leaks through it.
 */
export class DecryptionError extends HeraldError {
  readonly field: string | undefined;
  constructor(field?: string, options?: { cause?: unknown }) {
    super('HERALD_DECRYPTION', field ? `decryption failed for field ${field}` : 'decryption failed', options);
    this.field = field;
  }
}

/** KMS refused a request or did not answer in time. */
export class KmsError extends HeraldError {
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: { cause?: unknown }) {
    super('HERALD_KMS', message, options);
    this.status = status;
  }
}

/** A peer sent something that does not follow the protocol (a malformed frame, an unexpected reply). */
export class ProtocolError extends HeraldError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HERALD_PROTOCOL', message, options);
  }
}

/** A URL given by the server is outside the allow-list. */
export class UrlNotAllowedError extends HeraldError {
  constructor(url: string) {
    let shown = '(unparseable)';
    try {
      const u = new URL(url);
      shown = `${u.protocol}//${u.host}`;
    } catch {}
    super('HERALD_URL_NOT_ALLOWED', `server-sent URL ${shown} is outside the allow-list`);
  }
}

/**
 * Application code failed on an event: a sink given to `Receiver.start`, or a listener added with
 * `on(...)`, threw, rejected or did not settle within the receiver's `handlerTimeout`. The receiver
 * reports it on its one error channel (`on('error')`) and goes on with the next event.
 */
export class HandlerError extends HeraldError {
  /** The event the handler was given. */
  readonly event: WebexEvent;
  constructor(event: WebexEvent, cause: unknown, message?: string) {
    super('HERALD_HANDLER', message ?? `the handler of a ${event.type} event failed`, { cause });
    this.event = event;
  }
}

/**
 * A file download answered 423 ("still being scanned for malware", docs/protocol.md §7.6)
 * for longer than the caller's bound. `waitedMs` is how long the client waited in total.
 */
export class ContentNotReadyError extends WebexApiError {
  readonly waitedMs: number;
  constructor(from: WebexApiError, waitedMs: number) {
    super({
      status: from.status,
      method: from.method,
      path: from.path,
      message: from.apiMessage,
      descriptions: from.descriptions,
      trackingId: from.trackingId,
      retryAfter: from.retryAfter,
      body: from.body,
    });
    this.waitedMs = waitedMs;
    const tracking = from.trackingId ? ` (trackingId ${from.trackingId})` : '';
    this.message = `${from.method} ${from.path}: the file is still being scanned for malware after ${Math.round(
      waitedMs / 1000,
    )} s of waiting; try again later or raise maxScanWaitMs${tracking}`;
  }
}

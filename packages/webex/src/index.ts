// @herald/webex: the public API, what a bot author uses. Each area adds its exports here, one line per
// module. The parts a bot does not call itself (socket, KMS, WDM, JWE, frames) are `@herald/webex/internal`.

export * from './cards.js';
export * from './errors.js';
export * from './events.js';
export * from './guard.js';
export type { FetchInit, FetchResponseLike, HeadersLike, ResponseHeaders } from './http.js';
export {
  contentId,
  type DecodedId,
  decodeId,
  encodeId,
  idToUuid,
  membershipId,
  sameId,
  type WebexIdType,
} from './ids.js';
export * from './logger.js';
export {
  type Clock,
  DEFAULT_U2C_URL,
  type DisconnectReason,
  type FetchLike,
  systemClock,
  WEBEX_DOMAINS,
  WebexMessageHandler,
  type WebexMessageHandlerOptions,
  type WebSocketFactory,
  type WebSocketLike,
} from './mercury/index.js';
export type { HandlerEvents, HandlerLifecycleEvents } from './mercury/receiver.js';
export type { WebSocketFactoryOptions } from './mercury/socket.js';
export type { EventSink, Receiver, ReceiverStatus } from './receiver.js';
export * from './rest/index.js';
export {
  backoff,
  canRetry,
  DEFAULT_RETRY,
  decideRetry,
  isPermanent,
  isTransient,
  type RetryDecision,
  type RetryPolicy,
  retryAfterMs,
  retrying,
  retryPolicy,
} from './retry.js';
export * from './webhooks/index.js';

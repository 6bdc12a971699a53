// The Mercury receiver's public API.
export type { Activity } from './types.js';
export { activityToEvents, type ActivityContext } from './activity.js';
export { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
export { type Clock, systemClock } from './clock.js';
export { type KeySource, MessageDecryptor } from './decrypt.js';
export { DEFAULT_U2C_URL, DeviceManager, type DeviceManagerOptions, type Registration } from './device.js';
export { authorizationFrame, parseFrame, type ServerFrame } from './frames.js';
export type { FetchLike } from './http.js';
export { decryptCompactJwe, encryptCompactJwe, parseCompactJwe, type ParsedJwe } from './jwe.js';
export { KmsClient, type KmsClientOptions } from './kms.js';
export {
  type DisconnectReason,
  MercurySocket,
  type MercurySocketOptions,
  type WebSocketFactory,
  type WebSocketLike,
} from './socket.js';
export { WebexMessageHandler, type WebexMessageHandlerOptions } from './receiver.js';
export { assertAllowedUrl, compileUrlPolicy, WEBEX_DOMAINS } from './urls.js';

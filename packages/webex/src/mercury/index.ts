// The Mercury receiver's public API.

export { type ActivityContext, activityToEvents } from './activity.js';
export { type Clock, systemClock } from './clock.js';
export { type KeySource, MessageDecryptor } from './decrypt.js';
export { DEFAULT_U2C_URL, DeviceManager, type DeviceManagerOptions, type Registration } from './device.js';
export { authorizationFrame, parseFrame, type ServerFrame } from './frames.js';
export type { FetchLike } from './http.js';
export { decryptCompactJwe, encryptCompactJwe, type ParsedJwe, parseCompactJwe } from './jwe.js';
export { KmsClient, type KmsClientOptions } from './kms.js';
export { WebexMessageHandler, type WebexMessageHandlerOptions } from './receiver.js';
export {
  type DisconnectReason,
  MercurySocket,
  type MercurySocketOptions,
  type WebSocketFactory,
  type WebSocketLike,
} from './socket.js';
export type { Activity } from './types.js';
export { assertAllowedUrl, compileUrlPolicy, WEBEX_DOMAINS } from './urls.js';

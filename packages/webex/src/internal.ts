// @herald/webex/internal: the parts under the public API, for the emulator, tests and benches. No
// promise of stability: these may change in any release.

export { idClusterFromUrn } from './ids.js';
export * from './index.js';
export * from './mercury/index.js';
export {
  filenameFromContentDisposition,
  nextLinkUrl,
  parseLinkHeader,
  parseRetryAfter,
} from './rest/headers.js';
export { parseEnvelope } from './webhooks/receiver.js';
export { normalizeFilter } from './webhooks/register.js';

// @herald/webex/internal: the parts under the public API, for the emulator, tests and benches. No
// promise of stability: these may change in any release.

export * from './index.js';
export * from './mercury/index.js';
export { retrying } from './retry.js';

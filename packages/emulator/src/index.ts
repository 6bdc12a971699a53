// @herald/emulator: a local Webex for tests, demos and development.
export type { EmulatorContext, SharedFaults, Subsystem } from './context.js';
export type {
  ActPostInput,
  ControlFaults,
  ControlPerson,
  ControlRoom,
  EmulatorControl,
} from './control.js';
export { loadDemoSeed } from './control.js';
export type { RestFaultOptions } from './rest/faults.js';
export type { RestOptions } from './rest/index.js';
export type { BucketSpec, RateLimitOptions } from './rest/ratelimit.js';
export type { RequestLogEntry } from './rest/requestlog.js';
export type { RunningEmulator, ServerControl, StartEmulatorOptions } from './server.js';
export { startEmulator } from './server.js';
export { MembershipIndex } from './state/memberships.js';
export {
  type ManySpacesOptions,
  manySpacesSeed,
  seedAnnouncementSpace,
  seedBot,
  seedBotDirect,
  seededRandom,
  seedOrg,
  seedPerson,
  type TwoOrgTokens,
  twoOrgCast,
} from './state/seeds.js';
export type * from './state/types.js';
export {
  EmulatorHttpError,
  type NewFile,
  type PostMessageInput,
  World,
  type WorldOptions,
} from './state/world.js';

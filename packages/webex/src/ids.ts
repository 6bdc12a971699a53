/**
 * REST ("Hydra") id <-> UUID codec.
 *
 * A public Webex id is base64url, without padding, of `ciscospark://<cluster>/<TYPE>/<uuid>`
 * (docs/protocol.md §6). People and
 * organization ids always use the `us` cluster; other resources use `us` for the original US
 * cluster and otherwise the first three `:`-parts of the conversation's cluster URN,
 * e.g. `urn:TEAM:eu-central-1_k`. Composite forms: MEMBERSHIP `<personUuid>:<roomUuid>`,
 * CONTENT `<activityUuid>/<index>`.
 *
 * Decoding is tolerant: padded or unpadded input, standard or URL-safe alphabet. Real ids only
 * contain `[A-Za-z0-9]`, so both alphabets agree on them.
 */
import { InvalidIdError } from './errors.js';

export type WebexIdType =
  | 'PEOPLE'
  | 'ROOM'
  | 'MESSAGE'
  | 'MEMBERSHIP'
  | 'ORGANIZATION'
  | 'ATTACHMENT_ACTION'
  | 'CONTENT'
  | 'WEBHOOK'
  | 'APPLICATION'
  | 'TEAM';

export interface DecodedId {
  /** `us`, or a cluster URN such as `urn:TEAM:eu-central-1_k`. */
  cluster: string;
  /** The type segment, e.g. `ROOM`, `PEOPLE` (plural on the wire). */
  type: string;
  /** The uuid part; composite for MEMBERSHIP (`a:b`) and CONTENT (`a/0`). */
  uuid: string;
}

const PREFIX = 'ciscospark://';
/** Types whose ids always use the `us` cluster (SDK `constructHydraId`). */
const GLOBAL_TYPES = new Set<string>(['PEOPLE', 'ORGANIZATION']);
/** Clusters that map to the original `us` id cluster (docs/protocol.md §6.2). */
const US_CLUSTER_URNS = new Set(['urn:TEAM:us-east-2_a', 'urn:TEAM:us-east-1_int13']);

/** Map a cluster id from the host catalog to the cluster part of a REST id. */
export function idClusterFromUrn(clusterUrn: string | undefined): string {
  if (!clusterUrn || clusterUrn === 'us') return 'us';
  const parts = clusterUrn.split(':');
  const short = parts.slice(0, 3).join(':');
  if (US_CLUSTER_URNS.has(short)) return 'us';
  return parts.length >= 3 ? short : clusterUrn;
}

/** Encode a REST id. `cluster` defaults to `us` and is forced to `us` for PEOPLE and ORGANIZATION. */
export function encodeId(type: WebexIdType | string, uuid: string, cluster = 'us'): string {
  const c = GLOBAL_TYPES.has(type) ? 'us' : cluster;
  return Buffer.from(`${PREFIX}${c}/${type}/${uuid}`, 'utf8').toString('base64url');
}

/** An id in the URL-safe alphabet, without padding. */
function urlSafe(id: string): string {
  return id.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Decode a REST id, or `undefined` when it is not one. Accepts padding and either base64 alphabet. */
export function decodeId(id: string): DecodedId | undefined {
  if (typeof id !== 'string' || id.length < 8 || id.length > 512) return undefined;
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(id)) return undefined;
  const text = Buffer.from(urlSafe(id), 'base64url').toString('utf8');
  if (!text.startsWith(PREFIX)) return undefined;
  const rest = text.slice(PREFIX.length);
  const first = rest.indexOf('/');
  const second = first < 0 ? -1 : rest.indexOf('/', first + 1);
  if (first <= 0 || second <= first + 1 || second === rest.length - 1) return undefined;
  return { cluster: rest.slice(0, first), type: rest.slice(first + 1, second), uuid: rest.slice(second + 1) };
}

/**
 * The uuid part of a REST id of the expected type. Throws `InvalidIdError` (code
 * `HERALD_INVALID_ID`) when the id does not decode or names another type.
 */
export function idToUuid(id: string, expectedType?: WebexIdType | string): string {
  const decoded = decodeId(id);
  if (!decoded) throw new InvalidIdError(`not a Webex id: ${describe(id)}`);
  if (expectedType && decoded.type !== expectedType) {
    throw new InvalidIdError(`expected a ${expectedType} id, got a ${decoded.type} id`);
  }
  return decoded.uuid;
}

/** Compare two REST ids by what they name (tolerates padding and alphabet differences). */
export function sameId(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a === b) return true;
  // Each base64 character stands for fixed bits: spelled alike (one alphabet, no padding), ids
  // of different byte lengths, or of one length that differ before the last character, hold
  // different bytes and name different things. Most comparisons end here, undecoded: the
  // planner compares every listed room with the source room and the sender's 1-1.
  const ca = /[+/=]/.test(a) ? urlSafe(a) : a;
  const cb = /[+/=]/.test(b) ? urlSafe(b) : b;
  if (Math.floor((ca.length * 3) / 4) !== Math.floor((cb.length * 3) / 4)) return false;
  if (ca.length === cb.length && ca.slice(0, -1) !== cb.slice(0, -1)) return false;
  const da = decodeId(a);
  const db = decodeId(b);
  return !!da && !!db && da.type === db.type && da.uuid === db.uuid && da.cluster === db.cluster;
}

/** MEMBERSHIP id from the person and room uuids. */
export function membershipId(personUuid: string, roomUuid: string, cluster = 'us'): string {
  return encodeId('MEMBERSHIP', `${personUuid}:${roomUuid}`, cluster);
}

/** CONTENT id of the `index`-th file of a message (activity). */
export function contentId(messageUuid: string, index: number, cluster = 'us'): string {
  return encodeId('CONTENT', `${messageUuid}/${index}`, cluster);
}

function describe(id: unknown): string {
  if (typeof id !== 'string') return typeof id;
  return id.length > 24 ? `${id.slice(0, 24)}… (${id.length} chars)` : JSON.stringify(id);
}

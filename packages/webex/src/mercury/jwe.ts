/**
 * Compact JWE: a pure parser and a small AES-256-GCM fast path.
 *
 * Webex encrypts each activity field as a compact JWE with the protected header exactly
 * `{"enc":"A256GCM","alg":"dir"}`, an empty encrypted-key part, a 12-byte IV and a 16-byte tag; the
 * AAD is the ASCII of the first segment (docs/protocol.md §5.3, RFC 7516 §5.2). KMS replies use
 * the same layout with a `kid` (§4.5). `A256KW` is accepted too (§5.3): the content key is then
 * AES-key-unwrapped (RFC 3394) with the KMS key first.
 *
 * Why a fast path (STYLE.md practice 10): decrypting a `dir`/`A256GCM` JWE through `jose` costs
 * several times what the one AES-GCM call does (header re-parsing, key import, async hops). This
 * module does exactly that one call with `node:crypto`, synchronously, and accepts nothing else.
 * `decryptCompactJwe` goes further for the header every activity field carries: the dots sit at fixed
 * offsets (known header, empty key, 16-character IV, 22-character tag), the header is compared with
 * the constant (no JSON parse), IV, tag and ciphertext are decoded into reused scratch buffers (no
 * `split`, no per-field Buffers, no `Buffer.concat`). The GCM tag is checked by `final()` before any
 * text is returned.
 * `test/mercury-units.test.ts` checks both paths against `jose` on the same vectors, both ways.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptionError, ProtocolError } from '../errors.js';

/** Longest compact JWE accepted (characters). Webex messages are at most 7,439 bytes of text. */
export const MAX_JWE_LENGTH = 1 << 20;

export interface JweHeader {
  alg: 'dir' | 'A256KW';
  enc: 'A256GCM';
  kid?: string;
}

export interface ParsedJwe {
  header: JweHeader;
  /** The first segment as sent: the AAD. */
  protectedB64: string;
  encryptedKey: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]*$/;
/** `{"enc":"A256GCM","alg":"dir"}`, the header every activity field carries (§5.3). */
export const DIR_A256GCM_HEADER_B64 = 'eyJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiZGlyIn0';
const DIR_HEADER: JweHeader = Object.freeze({ alg: 'dir', enc: 'A256GCM' }) as JweHeader;

/** Parse the header segment. Returns a ProtocolError (never throws) for anything we do not support. */
export function parseJweHeader(segment: string): JweHeader | ProtocolError {
  if (segment === DIR_A256GCM_HEADER_B64) return DIR_HEADER;
  if (segment.length === 0 || segment.length > 4096 || !B64URL.test(segment)) {
    return new ProtocolError('JWE header is not base64url');
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return new ProtocolError('JWE header is not JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return new ProtocolError('JWE header is not an object');
  }
  const h = value as Record<string, unknown>;
  if (h.enc !== 'A256GCM') return new ProtocolError('JWE enc must be A256GCM');
  if (h.alg !== 'dir' && h.alg !== 'A256KW') return new ProtocolError('JWE alg must be dir or A256KW');
  if (h.zip !== undefined) return new ProtocolError('compressed JWE is not supported');
  if (Array.isArray(h.crit)) return new ProtocolError('JWE crit is not supported');
  const header: JweHeader = { alg: h.alg, enc: 'A256GCM' };
  if (typeof h.kid === 'string') header.kid = h.kid;
  return header;
}

/** Split and check a compact JWE. Pure; returns a ProtocolError instead of throwing. */
export function parseCompactJwe(input: unknown): ParsedJwe | ProtocolError {
  if (typeof input !== 'string') return new ProtocolError('JWE is not a string');
  if (input.length > MAX_JWE_LENGTH) return new ProtocolError('JWE too long');
  const parts = input.split('.');
  if (parts.length !== 5) return new ProtocolError('JWE must have 5 parts');
  const [h, ek, iv, ct, tag] = parts as [string, string, string, string, string];
  // The ciphertext is not pattern-checked (it is the long part): a non-base64url character changes
  // the decoded bytes and the GCM tag then fails. The short parts are checked.
  if (!B64URL.test(ek) || !B64URL.test(iv) || !B64URL.test(tag)) {
    return new ProtocolError('JWE part is not base64url');
  }
  const header = parseJweHeader(h);
  if (header instanceof ProtocolError) return header;
  const parsed: ParsedJwe = {
    header,
    protectedB64: h,
    encryptedKey: Buffer.from(ek, 'base64url'),
    iv: Buffer.from(iv, 'base64url'),
    ciphertext: Buffer.from(ct, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
  };
  if (parsed.iv.length !== 12) return new ProtocolError('JWE IV must be 12 bytes');
  if (parsed.tag.length !== 16) return new ProtocolError('JWE tag must be 16 bytes');
  if (header.alg === 'dir' && parsed.encryptedKey.length !== 0) {
    return new ProtocolError('dir JWE must have an empty encrypted key');
  }
  if (header.alg === 'A256KW' && parsed.encryptedKey.length !== 40) {
    return new ProtocolError('A256KW encrypted key must be 40 bytes');
  }
  return parsed;
}

const KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

/**
 * Decrypt a parsed JWE with a 32-byte key (the KMS key's `k`). Throws `DecryptionError` (one fixed
 * message) on any failure: wrong key, bad tag, bad wrap.
 */
export function decryptParsed(jwe: ParsedJwe, key: Buffer, field?: string): Buffer {
  if (key.length !== 32) throw new DecryptionError(field);
  try {
    let cek = key;
    if (jwe.header.alg === 'A256KW') {
      // RFC 7518 §4.4: AES Key Wrap (RFC 3394) with the default IV.
      const unwrap = createDecipheriv('id-aes256-wrap', key, KW_IV);
      cek = Buffer.concat([unwrap.update(jwe.encryptedKey), unwrap.final()]);
      if (cek.length !== 32) throw new Error('bad CEK length');
    }
    const d = createDecipheriv('aes-256-gcm', cek, jwe.iv, { authTagLength: 16 });
    d.setAAD(Buffer.from(jwe.protectedB64, 'ascii'));
    d.setAuthTag(jwe.tag);
    return Buffer.concat([d.update(jwe.ciphertext), d.final()]);
  } catch (cause) {
    throw new DecryptionError(field, { cause });
  }
}

/** The AAD of every activity field: the ASCII of `DIR_A256GCM_HEADER_B64` (read-only, shared). */
const DIR_AAD = Buffer.from(DIR_A256GCM_HEADER_B64, 'ascii');
/** base64url lengths of a 12-byte IV and a 16-byte tag. */
const IV_B64_LENGTH = 16;
const TAG_B64_LENGTH = 22;
/**
 * Scratch space the fast path decodes IV, tag and ciphertext into, instead of allocating three
 * Buffers per field. Safe because the path is synchronous and `createDecipheriv`/`setAuthTag`/`update`
 * copy what they are given before returning. The ciphertext buffer grows to the largest field seen
 * (at most `MAX_JWE_LENGTH` characters of base64url).
 */
const scratchIv = Buffer.alloc(12);
const scratchTag = Buffer.alloc(16);
let scratchCt = Buffer.alloc(16 * 1024);

/**
 * Whether `v` has the shape of a compact JWE: a string with exactly four dots. Only those fields are
 * decrypted; anything else is passed through as it is (plain values in test fixtures, absent fields).
 */
export function isCompactJwe(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  const d1 = v.indexOf('.');
  if (d1 < 0) return false;
  const d2 = v.indexOf('.', d1 + 1);
  if (d2 < 0) return false;
  const d3 = v.indexOf('.', d2 + 1);
  if (d3 < 0) return false;
  const d4 = v.indexOf('.', d3 + 1);
  return d4 >= 0 && v.indexOf('.', d4 + 1) < 0;
}

/**
 * The fast path: `input` decrypted if it is a Webex field JWE (`{"enc":"A256GCM","alg":"dir"}`,
 * empty encrypted key, 12-byte IV, 16-byte tag), `undefined` if it has another shape. Throws
 * `DecryptionError` when it has that shape and does not decrypt.
 */
function decryptFieldJwe(input: string, key: Buffer, field: string | undefined): string | undefined {
  const d1 = DIR_A256GCM_HEADER_B64.length;
  if (
    input.length > MAX_JWE_LENGTH ||
    key.length !== 32 ||
    input.charCodeAt(d1) !== 46 ||
    input.charCodeAt(d1 + 1) !== 46 || // empty encrypted key (`dir`)
    !input.startsWith(DIR_A256GCM_HEADER_B64)
  ) {
    return undefined;
  }
  const d3 = d1 + 2 + IV_B64_LENGTH;
  const d4 = input.length - TAG_B64_LENGTH - 1;
  if (d4 <= d3 || input.charCodeAt(d3) !== 46 || input.charCodeAt(d4) !== 46) return undefined;
  if (input.indexOf('.', d1 + 2) !== d3 || input.indexOf('.', d3 + 1) !== d4) return undefined;
  const iv = input.slice(d1 + 2, d3);
  const tag = input.slice(d4 + 1);
  if (!B64URL.test(iv) || !B64URL.test(tag)) throw new DecryptionError(field);
  try {
    scratchIv.write(iv, 'base64url');
    scratchTag.write(tag, 'base64url');
    const ctChars = d4 - d3 - 1;
    const need = Math.ceil((ctChars * 3) / 4);
    if (need > scratchCt.length) scratchCt = Buffer.alloc(Math.max(need, scratchCt.length * 2));
    // The ciphertext is not pattern-checked: a foreign character changes the bytes, then the tag fails.
    const n = scratchCt.write(input.slice(d3 + 1, d4), 'base64url');
    const d = createDecipheriv('aes-256-gcm', key, scratchIv, { authTagLength: 16 });
    d.setAAD(DIR_AAD);
    d.setAuthTag(scratchTag);
    const plain = d.update(scratchCt.subarray(0, n));
    d.final(); // checks the tag; GCM has no trailing block, so `plain` is the whole text
    return plain.toString('utf8');
  } catch (cause) {
    throw new DecryptionError(field, { cause });
  }
}

/**
 * A field of an activity in clear: `v` itself when it is not a compact JWE (absent, plain), else its
 * decrypted text. Throws `DecryptionError` when it is a JWE that does not decrypt.
 */
export function decryptJweField<T>(v: T, key: Buffer | undefined, field: string): T | string {
  if (typeof v !== 'string') return v;
  if (key) {
    const fast = decryptFieldJwe(v, key, field);
    if (fast !== undefined) return fast;
  }
  if (!isCompactJwe(v)) return v;
  if (!key) throw new DecryptionError('encryptionKeyUrl');
  return decryptCompactJwe(v, key, field);
}

/**
 * Parse and decrypt to UTF-8 text. Throws `DecryptionError` for anything unparseable or undecryptable.
 * The Webex field header takes the fast path described at the top of this file; any other header
 * goes through `parseCompactJwe`.
 */
export function decryptCompactJwe(input: unknown, key: Buffer, field?: string): string {
  if (typeof input === 'string') {
    const fast = decryptFieldJwe(input, key, field);
    if (fast !== undefined) return fast;
  }
  const parsed = parseCompactJwe(input);
  if (parsed instanceof ProtocolError) throw new DecryptionError(field, { cause: parsed });
  return decryptParsed(parsed, key, field).toString('utf8');
}

/**
 * Encrypt with `alg: dir` / `enc: A256GCM`. Without `kid` the header is byte-for-byte the one Webex
 * uses for activity fields (§5.3); with one it is a KMS request/reply header (§4.4).
 */
export function encryptCompactJwe(plaintext: string | Buffer, key: Buffer, kid?: string): string {
  const h =
    kid === undefined
      ? DIR_A256GCM_HEADER_B64
      : Buffer.from(JSON.stringify({ alg: 'dir', enc: 'A256GCM', kid }), 'utf8').toString('base64url');
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  c.setAAD(Buffer.from(h, 'ascii'));
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return `${h}..${iv.toString('base64url')}.${ct.toString('base64url')}.${c.getAuthTag().toString('base64url')}`;
}

/**
 * `X-Spark-Signature` verification (docs/protocol.md §8.4): lower-case hex HMAC-SHA1 of the
 * raw request body bytes, keyed with the webhook's secret. Pure, over the bytes as received: never
 * over a re-serialised body (the smell STYLE.md names), compared in constant time.
 */
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';

/** The header Webex signs deliveries with (§8.4). Node lower-cases header names. */
export const SIGNATURE_HEADER = 'x-spark-signature';

/** HMAC-SHA1 digest length in bytes; a valid signature is exactly twice this many hex digits. */
const DIGEST_BYTES = 20;
/**
 * The decoded signature, reused: the check is synchronous, so no two calls share it at once, and the
 * hot path allocates no buffer for it.
 */
const given = Buffer.alloc(DIGEST_BYTES);

export interface VerifyWebexSignatureOptions {
  /** The webhook secret. Give this or `secrets`. */
  secret?: string | undefined;
  /**
   * Every secret currently accepted, e.g. `[newSecret, oldSecret]` while rotating: a delivery signed
   * with any of them verifies.
   */
  secrets?: readonly string[] | undefined;
  /** The request body exactly as received. A string is taken as its UTF-8 bytes. */
  rawBody: Uint8Array | string;
  /** The `X-Spark-Signature` header value; `undefined` when the request had none. */
  signature: string | undefined;
}

/**
 * True when `signature` is the HMAC-SHA1 of `rawBody` under one of the secrets. A missing or
 * malformed signature, or no usable secret, is false. Never throws on bad input.
 */
export function verifyWebexSignature(options: VerifyWebexSignatureOptions): boolean {
  return verifyWithKeys(secretList(options), options.rawBody, options.signature);
}

/**
 * The same check with secrets prepared once (`secretKeys`): the receiver's hot path. Internal to the
 * webhooks folder; not exported from the package.
 */
export function verifyWithKeys(
  keys: ReadonlyArray<string | KeyObject>,
  rawBody: Uint8Array | string,
  signature: string | undefined,
): boolean {
  if (typeof signature !== 'string') return false;
  const trimmed = signature.trim();
  // Hex decoding stops at the first non-hex digit: 20 bytes from 40 characters means all were hex.
  if (trimmed.length !== 2 * DIGEST_BYTES || given.write(trimmed, 'hex') !== DIGEST_BYTES) return false;
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  let ok = false;
  for (const key of keys) {
    const expected = createHmac('sha1', key).update(body).digest();
    // Every secret is tried (no early exit), so timing does not tell which one matched.
    if (timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}

/** HMAC keys for a list of secrets (KeyObjects skip re-importing the key on every delivery). */
export function secretKeys(secrets: readonly string[]): KeyObject[] {
  return secrets.map((s) => createSecretKey(Buffer.from(s, 'utf8')));
}

/** The lower-case hex `X-Spark-Signature` for a body: what Webex sends (for tests and tools). */
export function signWebexBody(secret: string, rawBody: Uint8Array | string): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  return createHmac('sha1', secret).update(body).digest('hex');
}

function secretList(options: VerifyWebexSignatureOptions): string[] {
  const out: string[] = [];
  if (typeof options.secret === 'string' && options.secret.length > 0) out.push(options.secret);
  for (const s of options.secrets ?? []) if (typeof s === 'string' && s.length > 0) out.push(s);
  return out;
}

/**
 * `MessageDecryptor`: decrypts the JWE fields of an activity (protocol-mercury-kms.md §3.4, §5).
 *
 * Key: `activity.encryptionKeyUrl`, else `object.encryptionKeyUrl`, else `target.encryptionKeyUrl`
 * (§3.4, §7.12). The JWEs themselves go through the `node:crypto` fast path in `jwe.ts`.
 *
 * A field that does not decrypt makes the whole activity fail with a `DecryptionError`: ciphertext is
 * never passed on as text (STYLE.md "smells"), and no half-decrypted event is emitted.
 */
import { DecryptionError } from '../errors.js';
import { decryptCompactJwe } from './jwe.js';
import type { Activity, ActivityFile } from './types.js';

/** Where content keys come from (the `KmsClient`). */
export interface KeySource {
  getKey(uri: string): Promise<Buffer>;
  /** Synchronous cache hit, when the source has one. */
  cachedKey?(uri: string): Buffer | undefined;
}

/** Looks like a compact JWE (5 dot-separated parts): only those are decrypted. */
function isJwe(v: unknown): v is string {
  if (typeof v !== 'string') return false;
  let dots = 0;
  for (let i = 0; i < v.length && dots < 5; i++) if (v.charCodeAt(i) === 46) dots++;
  return dots === 4;
}

export class MessageDecryptor {
  constructor(private readonly keys: KeySource) {}

  /** The key URL of an activity, or undefined when it carries nothing encrypted. */
  static keyUrl(activity: Activity): string | undefined {
    const u =
      activity.encryptionKeyUrl ?? activity.object?.encryptionKeyUrl ?? activity.target?.encryptionKeyUrl;
    return typeof u === 'string' && u.length > 0 ? u : undefined;
  }

  /**
   * A copy of `activity` with its encrypted fields in clear text (`inputs` parsed as JSON, `scr` left as
   * SCR JSON text). Rejects with `DecryptionError` or the key source's error (`KmsError`).
   */
  async decryptActivity(activity: Activity): Promise<Activity> {
    const obj = activity.object;
    if (!obj) return activity;
    const uri = MessageDecryptor.keyUrl(activity);
    const needs =
      isJwe(obj.displayName) ||
      isJwe(obj.content) ||
      isJwe(obj.inputs) ||
      (obj.cards?.some(isJwe) ?? false) ||
      (obj.files?.items?.some((f) => isJwe(f.displayName) || isJwe(f.scr)) ?? false);
    if (!needs) return activity;
    if (!uri) throw new DecryptionError('encryptionKeyUrl');
    const key = this.keys.cachedKey?.(uri) ?? (await this.keys.getKey(uri));
    return this.decryptWithKey(activity, key);
  }

  /** Synchronous part of `decryptActivity`, given the key. */
  decryptWithKey(activity: Activity, key: Buffer): Activity {
    const obj = activity.object;
    if (!obj) return activity;
    const out = { ...obj };
    const field = (v: string | undefined, name: string): string | undefined =>
      isJwe(v) ? decryptCompactJwe(v, key, name) : v;
    out.displayName = field(obj.displayName, 'displayName');
    out.content = field(obj.content, 'content');
    if (isJwe(obj.inputs)) {
      const text = decryptCompactJwe(obj.inputs, key, 'inputs');
      try {
        out.inputs = JSON.parse(text) as unknown;
      } catch (cause) {
        throw new DecryptionError('inputs', { cause });
      }
    }
    if (obj.cards) out.cards = obj.cards.map((c) => (isJwe(c) ? decryptCompactJwe(c, key, 'cards') : c));
    if (obj.files?.items) {
      out.files = {
        items: obj.files.items.map(
          (f): ActivityFile => ({
            ...f,
            displayName: field(f.displayName, 'files.displayName'),
            scr: field(f.scr, 'files.scr'),
          }),
        ),
      };
    }
    if (out.displayName === undefined) delete out.displayName;
    if (out.content === undefined) delete out.content;
    return { ...activity, object: out };
  }
}

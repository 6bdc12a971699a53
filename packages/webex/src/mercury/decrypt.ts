/**
 * `MessageDecryptor`: decrypts the JWE fields of an activity (docs/protocol.md §5.3).
 *
 * Key: `activity.encryptionKeyUrl`, else `object.encryptionKeyUrl`, else `target.encryptionKeyUrl`
 * (§5.3, §5.1). The JWEs themselves go through the `node:crypto` fast path in `jwe.ts`.
 *
 * A field that does not decrypt makes the whole activity fail with a `DecryptionError`: ciphertext is
 * never passed on as text (STYLE.md "smells"), and no half-decrypted event is emitted.
 */
import { DecryptionError } from '../errors.js';
import { decryptCompactJwe, decryptJweField, isCompactJwe as isJwe } from './jwe.js';
import type { Activity, ActivityFile, ActivityObject } from './types.js';

/** Where content keys come from (the `KmsClient`). */
export interface KeySource {
  getKey(uri: string): Promise<Buffer>;
  /** Synchronous cache hit, when the source has one. */
  cachedKey?(uri: string): Buffer | undefined;
}

/** Whether an object carries any field this module decrypts. */
function hasEncryptedField(obj: ActivityObject): boolean {
  if (isJwe(obj.displayName) || isJwe(obj.content) || isJwe(obj.inputs)) return true;
  if (Array.isArray(obj.cards) && obj.cards.some(isJwe)) return true;
  const files = obj.files?.items;
  return Array.isArray(files) && files.some((f) => isJwe(f?.displayName) || isJwe(f?.scr));
}

export class MessageDecryptor {
  constructor(private readonly keys: KeySource) {}

  /**
   * The key URL of an activity, or undefined when it carries nothing encrypted. The activity's own
   * URL first, then the object's, then the conversation's (§5.3; 3R adds the target).
   */
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
    const sync = this.decryptCached(activity);
    if (sync !== undefined) return sync;
    const obj = activity.object as ActivityObject;
    const uri = MessageDecryptor.keyUrl(activity) as string;
    const keys = new Map<string, Buffer>([[uri, await this.keys.getKey(uri)]]);
    for (const f of Array.isArray(obj.files?.items) ? obj.files.items : []) {
      const own = f?.encryptionKeyUrl;
      if (typeof own === 'string' && own.length > 0 && !keys.has(own))
        keys.set(own, await this.keys.getKey(own));
    }
    return this.decryptWith(activity, (u) => keys.get(u));
  }

  /**
   * The synchronous path: the decrypted copy when every key it needs is cached (or nothing is
   * encrypted), else undefined (then use `decryptActivity`). No promise is created. Throws
   * `DecryptionError` like `decryptActivity` rejects.
   */
  decryptCached(activity: Activity): Activity | undefined {
    const obj = activity.object;
    if (!obj) return activity;
    const uri = MessageDecryptor.keyUrl(activity);
    if (!uri) {
      if (hasEncryptedField(obj)) throw new DecryptionError('encryptionKeyUrl');
      return activity;
    }
    const cached = this.keys.cachedKey;
    if (!cached) return hasEncryptedField(obj) ? undefined : activity;
    const key = cached.call(this.keys, uri);
    if (!key) return hasEncryptedField(obj) ? undefined : activity;
    let missing = false;
    const out = this.decryptWith(activity, (u) => {
      if (u === uri) return key;
      const k = cached.call(this.keys, u);
      if (!k) missing = true;
      return k;
    });
    return missing ? undefined : out;
  }

  /** Synchronous part of `decryptActivity`, given the key (files with their own key URL included). */
  decryptWithKey(activity: Activity, key: Buffer): Activity {
    return this.decryptWith(activity, () => key);
  }

  private decryptWith(activity: Activity, keyOf: (uri: string) => Buffer | undefined): Activity {
    const obj = activity.object;
    if (!obj) return activity;
    const uri = MessageDecryptor.keyUrl(activity);
    const key = uri === undefined ? undefined : keyOf(uri);
    const out: ActivityObject = { ...obj };
    if (obj.displayName !== undefined) out.displayName = decryptJweField(obj.displayName, key, 'displayName');
    if (obj.content !== undefined) out.content = decryptJweField(obj.content, key, 'content');
    if (isJwe(obj.inputs)) {
      const text = decryptCompactJwe(obj.inputs, need(key), 'inputs');
      try {
        out.inputs = JSON.parse(text) as unknown;
      } catch (cause) {
        throw new DecryptionError('inputs', { cause });
      }
    }
    // Outside input: a list that is not an array is left as it is (activity.ts reads it as empty).
    if (Array.isArray(obj.cards) && obj.cards.some(isJwe)) {
      out.cards = obj.cards.map((c) => decryptJweField(c, key, 'cards'));
    }
    if (Array.isArray(obj.files?.items)) {
      out.files = {
        items: (obj.files.items as ActivityFile[]).map((f): ActivityFile => {
          if (!f || typeof f !== 'object') return f;
          // §5.3: a file's own encryptionKeyUrl overrides the activity's.
          const own = typeof f.encryptionKeyUrl === 'string' && f.encryptionKeyUrl.length > 0;
          const fk = own ? keyOf(f.encryptionKeyUrl as string) : key;
          const file = { ...f };
          if (f.displayName !== undefined)
            file.displayName = decryptJweField(f.displayName, fk, 'files.displayName');
          if (f.scr !== undefined) file.scr = decryptJweField(f.scr, fk, 'files.scr');
          return file;
        }),
      };
    }
    return { ...activity, object: out };
  }
}

function need(key: Buffer | undefined): Buffer {
  if (!key) throw new DecryptionError('encryptionKeyUrl');
  return key;
}

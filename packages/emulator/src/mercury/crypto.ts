/**
 * The emulator's own JWE `dir`/A256GCM codec (docs/protocol.md §5.3), written apart from the
 * library's so that the library is tested against an independent implementation.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Exactly `{"enc":"A256GCM","alg":"dir"}` (§5.3). */
const FIELD_HEADER = Buffer.from('{"enc":"A256GCM","alg":"dir"}', 'utf8').toString('base64url');

/** Encrypt `plaintext` with a 32-byte key; `kid` adds a key id to the header (KMS replies, §4.5). */
export function jweEncrypt(plaintext: string, key: Buffer, kid?: string): string {
  const header =
    kid === undefined
      ? FIELD_HEADER
      : Buffer.from(JSON.stringify({ alg: 'dir', kid, enc: 'A256GCM' }), 'utf8').toString('base64url');
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(header, 'ascii'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [
    header,
    '',
    iv.toString('base64url'),
    ct.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
  ].join('.');
}

/** The protected header of a compact JWE/JWS, or undefined. */
export function joseHeader(compact: string): Record<string, unknown> | undefined {
  try {
    const h = JSON.parse(Buffer.from(compact.split('.')[0] ?? '', 'base64url').toString('utf8')) as unknown;
    return h && typeof h === 'object' && !Array.isArray(h) ? (h as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Decrypt a `dir`/A256GCM compact JWE; throws on any failure. */
export function jweDecryptDir(compact: string, key: Buffer): string {
  const [h = '', ek, iv = '', ct = '', tag = ''] = compact.split('.');
  if (ek !== '') throw new Error('not a dir JWE');
  const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  d.setAAD(Buffer.from(h, 'ascii'));
  d.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
}

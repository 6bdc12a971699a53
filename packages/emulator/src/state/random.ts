/**
 * Ids and tokens for the world. Seeded (deterministic: the same seed and the same operations give
 * the same ids, so docs and snapshots can name them) or backed by `node:crypto` when no seed is given.
 */
import { randomUUID } from 'node:crypto';

export interface RandomSource {
  uuid(): string;
  /**
   * A bearer token shaped as Webex issues them, `<secret>_<cluster>_<org uuid>` (docs/protocol.md §6.3):
   * the SDK reads the org id out of the third part (webex-core credentials.js
   * `extractOrgIdFromUserToken`, which also insists on exactly three parts).
   */
  token(orgId: string): string;
  /** A float in [0, 1). */
  next(): number;
}

/** A small 32-bit PRNG (xorshift-multiply mix of a Weyl sequence); our own, not cryptographic. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  };
}

/** The secret part: 64 characters of base64 over hex text, no `_` (the part separator), like Webex's. */
function tokenOf(text: string, orgId: string): string {
  return `${Buffer.from(text)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 64)}_EMU1_${orgId}`;
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

export function createRandom(seed?: number): RandomSource {
  if (seed === undefined) {
    return {
      uuid: () => randomUUID(),
      token: (orgId) => tokenOf(randomUUID() + randomUUID(), orgId),
      next: () => Math.random(),
    };
  }
  const draw = prng(seed);
  const uuid = (): string => {
    const h = hex32(draw()) + hex32(draw()) + hex32(draw()) + hex32(draw());
    // RFC 9562 version 4 layout: version nibble 4, variant bits 10.
    const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  return {
    uuid,
    token: (orgId) => tokenOf(Array.from({ length: 6 }, () => hex32(draw())).join(''), orgId),
    next: () => draw() / 2 ** 32,
  };
}

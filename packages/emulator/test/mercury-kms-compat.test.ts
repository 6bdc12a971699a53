// Checks the emulator's KMS against Cisco's published KMS client (node-kms + node-jose), code that
// neither side of Herald wrote (docs/protocol.md §4, "SIM").
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { EmulatorKms } from '../src/mercury/kms.js';
import { kmsHandshake, kmsRetrieve, type NodeKms } from './node-kms.js';

const KMS = createRequire(import.meta.url)('node-kms') as NodeKms;

const TOKEN = 'bot_token_org';
const USER = randomUUID();
const ROOM_KEY = 'kms://kms.emulator.test/keys/room-a';

function setup(member = true) {
  const kms = new EmulatorKms({
    host: 'kms.emulator.test',
    now: Date.now,
    personIdByToken: (t) => (t === TOKEN ? USER : undefined),
    keyAccess: (_p, k) => (k === ROOM_KEY ? (member ? 'member' : 'forbidden') : 'unknown'),
  });
  /** Transport a request as POST /kms/messages + the Mercury reply would. */
  const exchange = (wrapped: string) =>
    new Promise<string>((resolve) =>
      kms.submit({ personId: USER, token: TOKEN }, [wrapped], (_p, r) => resolve(r[0] ?? '')),
    );
  return { kms, exchange };
}

async function handshake(member = true) {
  const { kms, exchange } = setup(member);
  const ctx = await kmsHandshake(KMS, exchange, kms.details(), {
    clientId: 'https://wdm.example/devices/1',
    userId: USER,
    token: TOKEN,
  });
  return { kms, exchange, ctx };
}

describe('emulator KMS against node-kms (Cisco)', () => {
  it('completes the ECDH handshake: signed reply verified, shared key derived', async () => {
    const { ctx } = await handshake();
    assert.match(String(ctx.ephemeralKey?.uri), /^kms:\/\/kms\.emulator\.test\/ecdhe\//);
  });

  it('retrieves a room key, decrypted by node-jose with the derived key', async () => {
    const { kms, exchange, ctx } = await handshake();
    const body = await kmsRetrieve(KMS, exchange, ctx, ROOM_KEY);
    assert.equal(body.status, 200);
    assert.deepEqual(Buffer.from(body.key?.jwk.k ?? '', 'base64url'), kms.contentKey(ROOM_KEY));
  });

  it('answers a non-member with status 403 and the requestId', async () => {
    const { exchange, ctx } = await handshake(false);
    const body = await kmsRetrieve(KMS, exchange, ctx, ROOM_KEY);
    assert.equal(body.status, 403);
    assert.equal(body.key, undefined);
  });
});

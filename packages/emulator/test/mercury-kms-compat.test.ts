// Checks the emulator's KMS against Cisco's published KMS client (node-kms + node-jose), code that
// neither side of Herald wrote (docs/protocol.md §4, "SIM").
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { EmulatorKms } from '../src/mercury/kms.js';

interface KmsKeyObject {
  jwk: Record<string, unknown>;
  uri: string;
}
interface NodeKms {
  Context: new () => {
    clientInfo: unknown;
    serverInfo: unknown;
    ephemeralKey: KmsKeyObject | null;
    createECDHKey(): Promise<KmsKeyObject & { asKey(): Promise<{ toJSON(): Record<string, unknown> }> }>;
    deriveEphemeralKey(remote: unknown): Promise<KmsKeyObject>;
  };
  Request: new (
    body: unknown,
  ) => { wrapped: string; requestId: string; wrap(ctx: unknown, opts?: unknown): Promise<string> };
  Response: new (
    wrapped: string,
  ) => { body: Record<string, unknown>; unwrap(ctx: unknown): Promise<Record<string, unknown>> };
}
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
  const details = kms.details();
  assert.equal(typeof details.rsaPublicKey, 'string', 'rsaPublicKey is a JSON string (§4.1)');
  const ctx = new KMS.Context();
  ctx.clientInfo = { clientId: 'https://wdm.example/devices/1', credential: { userId: USER, bearer: TOKEN } };
  ctx.serverInfo = { key: JSON.parse(details.rsaPublicKey) };
  const local = await ctx.createECDHKey();
  ctx.ephemeralKey = local;
  const pub = (await local.asKey()).toJSON();
  const req = new KMS.Request({ uri: `${details.kmsCluster}/ecdhe`, method: 'create', jwk: pub });
  await req.wrap(ctx, { serverKey: true });
  const reply = await exchange(req.wrapped);
  assert.equal(reply.split('.').length, 3, 'the ECDH reply is a JWS (§4.2)');
  const res = new KMS.Response(reply);
  const body = await res.unwrap(ctx); // verifies the RS256 signature with the static key
  assert.equal(body.status, 201);
  assert.equal(body.requestId, req.requestId);
  ctx.ephemeralKey = await ctx.deriveEphemeralKey((body as { key: unknown }).key);
  return { kms, exchange, ctx };
}

describe('emulator KMS against node-kms (Cisco)', () => {
  it('completes the ECDH handshake: signed reply verified, shared key derived', async () => {
    const { ctx } = await handshake();
    assert.match(String(ctx.ephemeralKey?.uri), /^kms:\/\/kms\.emulator\.test\/ecdhe\//);
  });

  it('retrieves a room key, decrypted by node-jose with the derived key', async () => {
    const { kms, exchange, ctx } = await handshake();
    const req = new KMS.Request({ method: 'retrieve', uri: ROOM_KEY });
    await req.wrap(ctx);
    const res = new KMS.Response(await exchange(req.wrapped));
    const body = (await res.unwrap(ctx)) as {
      status: number;
      requestId: string;
      key: { jwk: { k: string } };
    };
    assert.equal(body.status, 200);
    assert.equal(body.requestId, req.requestId);
    assert.deepEqual(Buffer.from(body.key.jwk.k, 'base64url'), kms.contentKey(ROOM_KEY));
  });

  it('answers a non-member with status 403 and the requestId', async () => {
    const { exchange, ctx } = await handshake(false);
    const req = new KMS.Request({ method: 'retrieve', uri: ROOM_KEY });
    await req.wrap(ctx);
    const body = await new KMS.Response(await exchange(req.wrapped)).unwrap(ctx);
    assert.equal(body.status, 403);
    assert.equal(body.requestId, req.requestId);
    assert.equal(body.key, undefined);
  });
});

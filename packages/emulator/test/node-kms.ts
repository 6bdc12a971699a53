/**
 * Cisco's published KMS client, node-kms 0.4 (CommonJS, no types), as the KMS compatibility tests
 * drive it: the types of what they use, and the client's side of the ECDH handshake and of a key
 * retrieval (docs/protocol.md §4). Each test loads node-kms itself (`createRequire`), so the
 * emulator's test and compat/ each run their own pinned copy; `exchange` carries one wrapped
 * request to the emulator's KMS and returns its wrapped reply (§4.3).
 */
import assert from 'node:assert/strict';

interface KmsKeyObject {
  jwk: Record<string, unknown>;
  uri: string;
}
export interface KmsContext {
  clientInfo: unknown;
  serverInfo: unknown;
  ephemeralKey: KmsKeyObject | null;
  createECDHKey(): Promise<KmsKeyObject & { asKey(): Promise<{ toJSON(): Record<string, unknown> }> }>;
  deriveEphemeralKey(remote: unknown): Promise<KmsKeyObject>;
}
export interface NodeKms {
  Context: new () => KmsContext;
  Request: new (
    body: unknown,
  ) => { wrapped: string; requestId: string; wrap(ctx: unknown, opts?: unknown): Promise<string> };
  Response: new (wrapped: string) => { unwrap(ctx: unknown): Promise<Record<string, unknown>> };
}

type Exchange = (wrapped: string) => Promise<string>;

/** What `KMS.details()` (emulator) or `GET /kms/{userId}` (network) tells the client (§4.1). */
interface KmsDetails {
  rsaPublicKey: string;
  kmsCluster: string;
}

/**
 * The ECDH handshake (§4.2): an ephemeral key wrapped for the KMS's static RSA key; the reply is a
 * JWS that node-kms verifies with that key; from it the shared key is derived. Returns the context
 * that now holds it.
 */
export async function kmsHandshake(
  KMS: NodeKms,
  exchange: Exchange,
  details: KmsDetails,
  client: { clientId: string; userId: string; token: string },
): Promise<KmsContext> {
  assert.equal(typeof details.rsaPublicKey, 'string', 'rsaPublicKey is a JSON string (§4.1)');
  const ctx = new KMS.Context();
  ctx.clientInfo = { clientId: client.clientId, credential: { userId: client.userId, bearer: client.token } };
  ctx.serverInfo = { key: JSON.parse(details.rsaPublicKey) };
  const local = await ctx.createECDHKey();
  ctx.ephemeralKey = local;
  const req = new KMS.Request({
    uri: `${details.kmsCluster}/ecdhe`,
    method: 'create',
    jwk: (await local.asKey()).toJSON(),
  });
  await req.wrap(ctx, { serverKey: true });
  const reply = await exchange(req.wrapped);
  assert.equal(reply.split('.').length, 3, 'the ECDH reply is a JWS (§4.2)');
  const body = await new KMS.Response(reply).unwrap(ctx); // verifies the RS256 signature with the static key
  assert.equal(body.status, 201);
  assert.equal(body.requestId, req.requestId);
  ctx.ephemeralKey = await ctx.deriveEphemeralKey(body.key);
  return ctx;
}

/** The KMS's answer to a key retrieval: `key` only when `status` is 200. */
interface KmsRetrieval {
  status: number;
  requestId: string;
  key?: { uri: string; jwk: Record<string, unknown> & { k: string } };
}

/** Retrieve the key at `uri` over the shared key of `ctx` (§4.4); the reply answers this request. */
export async function kmsRetrieve(
  KMS: NodeKms,
  exchange: Exchange,
  ctx: KmsContext,
  uri: string,
): Promise<KmsRetrieval> {
  const req = new KMS.Request({ method: 'retrieve', uri });
  await req.wrap(ctx);
  const body = (await new KMS.Response(await exchange(req.wrapped)).unwrap(ctx)) as unknown as KmsRetrieval;
  assert.equal(body.requestId, req.requestId);
  return body;
}

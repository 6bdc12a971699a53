import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KmsError } from '../src/errors.js';
import { harness, ROOM_KEY, USER } from './mercury-kms-harness.js';

describe('KmsClient against the emulator KMS', () => {
  it('runs the ECDH handshake and retrieves a room key equal to the emulator’s', async () => {
    const { kms, client } = harness();
    await client.initialize();
    const key = await client.getKey(ROOM_KEY);
    assert.equal(key.length, 32);
    assert.deepEqual(key, kms.contentKey(ROOM_KEY));
  });

  it('serves repeated and concurrent requests for one key with one KMS request', async () => {
    const { client, posts } = harness();
    await client.initialize();
    const before = posts.length;
    const [a, b, c] = await Promise.all([
      client.getKey(ROOM_KEY),
      client.getKey(ROOM_KEY),
      client.getKey(ROOM_KEY),
    ]);
    assert.deepEqual(a, b);
    assert.deepEqual(b, c);
    await client.getKey(ROOM_KEY);
    assert.equal(posts.length - before, 1);
  });

  it('turns a non-member retrieve into a KmsError with status 403', async () => {
    const { client } = harness({ members: new Set() });
    await assert.rejects(client.getKey(ROOM_KEY), (e: unknown) => e instanceof KmsError && e.status === 403);
  });

  it('reports a refusal fault with its status and keeps no key', async () => {
    const { kms, client } = harness();
    kms.faults.refuseStatus = 500;
    await assert.rejects(client.getKey(ROOM_KEY), (e: unknown) => e instanceof KmsError && e.status === 500);
    assert.equal(client.cachedKeys, 0);
    kms.faults.refuseStatus = undefined;
    assert.equal((await client.getKey(ROOM_KEY)).length, 32);
  });

  it('times out a request whose reply never comes, and bounds the pending requests', async () => {
    const { kms, client } = harness({ requestTimeout: 200, maxPending: 1 });
    await client.initialize();
    kms.faults.delayMs = 1000;
    const first = client.getKey(ROOM_KEY);
    await assert.rejects(client.getKey(`${ROOM_KEY}-other`), /too many KMS requests pending/);
    await assert.rejects(first, /no KMS reply within 200 ms/);
    assert.equal(client.pendingCount, 0);
  });

  it('renegotiates after resetContext and ignores replies nobody asked for', async () => {
    const { client, posts } = harness();
    await client.initialize();
    client.handleKmsMessages(['not.a.jws', 42, 'a.b.c.d.e']);
    client.resetContext();
    const n = posts.length;
    await client.getKey(ROOM_KEY);
    assert.equal(posts.length - n, 2, 'a handshake, then the retrieve');
  });

  it('refuses a KMS static key whose kid host is outside the allow-list', async () => {
    const { client } = harness({ urlPolicy: { allowedOrigins: [] } });
    await assert.rejects(
      client.initialize(),
      (e: unknown) => (e as { code?: string }).code === 'HERALD_URL_NOT_ALLOWED',
    );
    void USER;
  });
});

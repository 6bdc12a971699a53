// Cisco's published KMS client, node-kms with node-jose, against the emulator over its network
// interface: U2C, WDM, a Mercury socket, the ECDH handshake posted over HTTP with the reply over
// Mercury, a key retrieval the same way, then decryption of a real activity with the key. The
// client's steps are those of the emulator's in-process KMS test (packages/emulator/test/node-kms.ts);
// here they travel over the network.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { RunningEmulator } from '@herald/emulator';
import WebSocket from 'ws';
import {
  type KmsContext,
  kmsHandshake,
  kmsRetrieve,
  type NodeKms,
} from '../../packages/emulator/test/node-kms.js';
import { emulator, TOKENS } from './harness.js';

interface NodeJose {
  JWK: { asKey(jwk: unknown): Promise<unknown> };
  JWE: { createDecrypt(key: unknown): { decrypt(jwe: string): Promise<{ plaintext: Buffer }> } };
}
const load = createRequire(import.meta.url);
const KMS = load('node-kms') as NodeKms;
const jose = load('node-jose') as NodeJose;

type Frame = { id?: string; type?: string; data?: Record<string, unknown> & { eventType?: string } };

describe('node-kms + node-jose over the emulator network transport', () => {
  let emu: RunningEmulator;
  let ws: WebSocket;
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  const auth = { Authorization: `Bearer ${TOKENS.bot}`, 'Content-Type': 'application/json' };
  let services: Record<string, string>;
  let device: { url: string; webSocketUrl: string; userId: string };
  let ctx: KmsContext;

  const nextFrame = (pred: (f: Frame) => boolean, what: string, from = 0): Promise<Frame> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}`));
      }, 10_000);
      const check = () => {
        const hit = frames.slice(from).find(pred);
        if (!hit) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(hit);
      };
      waiters.add(check);
      check();
    });

  /** POST one wrapped KMS request; the reply arrives over Mercury as `encryption.kms_message`. */
  const exchange = async (wrapped: string): Promise<string> => {
    const from = frames.length;
    const details = (await (
      await fetch(`${services.encryption}/kms/${device.userId}`, { headers: auth })
    ).json()) as {
      kmsCluster: string;
    };
    const res = await fetch(`${services.encryption}/kms/messages`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ destination: details.kmsCluster, kmsMessages: [wrapped] }),
    });
    assert.equal(res.status, 202, 'the KMS answers over Mercury, not in the HTTP reply');
    const f = await nextFrame((x) => x.data?.eventType === 'encryption.kms_message', 'the KMS reply', from);
    const replies = (f.data as { encryption: { kmsMessages: string[] } }).encryption.kmsMessages;
    assert.equal(replies.length, 1);
    return replies[0] as string;
  };

  before(async () => {
    emu = await emulator();
  });
  after(async () => {
    ws?.terminate();
    await emu?.stop();
  });

  it('discovers WDM from the U2C catalog and registers a device', async () => {
    const catalog = (await (await fetch(`${emu.url}/u2c/api/v1/limited/catalog?format=hostmap`)).json()) as {
      serviceLinks: Record<string, string>;
    };
    services = catalog.serviceLinks;
    const res = await fetch(`${services.wdm}/devices`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        deviceName: 'compat-node-kms',
        deviceType: 'DESKTOP',
        localizedModel: 'nodeJS',
        model: 'nodeJS',
        name: 'compat',
        systemName: 'compat',
        systemVersion: '1.0',
      }),
    });
    assert.equal(res.status, 200);
    device = (await res.json()) as typeof device;
    assert.equal(device.userId, emu.control.person('bot').uuid);
  });

  it('opens Mercury, authorizes, and gets the readiness frame', async () => {
    ws = new WebSocket(
      `${device.webSocketUrl}?outboundWireFormat=text&bufferStates=true&aliasHttpStatus=true`,
    );
    ws.on('message', (data) => {
      const f = JSON.parse(data.toString()) as Frame;
      if (f.id && f.type !== 'pong') ws.send(JSON.stringify({ messageId: f.id, type: 'ack' }));
      frames.push(f);
      for (const w of [...waiters]) w();
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ id: 'auth-1', type: 'authorization', data: { token: `Bearer ${TOKENS.bot}` } }));
    await nextFrame((f) => f.data?.eventType === 'mercury.buffer_state', 'mercury.buffer_state');
  });

  it('completes the ECDH handshake: request over HTTP, signed reply over Mercury', async () => {
    const details = (await (
      await fetch(`${services.encryption}/kms/${device.userId}`, { headers: auth })
    ).json()) as {
      rsaPublicKey: string;
      kmsCluster: string;
    };
    ctx = await kmsHandshake(KMS, exchange, details, {
      clientId: device.url,
      userId: device.userId,
      token: TOKENS.bot,
    });
    assert.match(String(ctx.ephemeralKey?.uri), /\/ecdhe\//);
  });

  it('retrieves the room key and decrypts an activity with node-jose', async () => {
    const room = emu.control.room('direct');
    const body = await kmsRetrieve(KMS, exchange, ctx, room.encryptionKeyUrl);
    assert.equal(body.status, 200);
    assert.equal(body.key?.uri, room.encryptionKeyUrl);

    const from = frames.length;
    emu.control.post('alice', { room: 'direct', text: 'sealed for the bot' });
    const f = await nextFrame((x) => x.data?.eventType === 'conversation.activity', 'the activity', from);
    const activity = f.data?.activity as { encryptionKeyUrl: string; object: { displayName: string } };
    assert.equal(activity.encryptionKeyUrl, room.encryptionKeyUrl);
    assert.notEqual(activity.object.displayName, 'sealed for the bot', 'the text travels encrypted');
    const key = await jose.JWK.asKey(body.key?.jwk);
    const { plaintext } = await jose.JWE.createDecrypt(key).decrypt(activity.object.displayName);
    assert.equal(plaintext.toString('utf8'), 'sealed for the bot');
  });
});

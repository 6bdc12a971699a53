// The emulator's U2C, WDM and Mercury server, driven with plain fetch and a plain `ws` client.
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { describe, it } from 'node:test';
import { contentId, decryptCompactJwe } from '@herald/webex';
import WebSocket from 'ws';
import { mercurySuite } from './helpers.js';

describe('emulator U2C, WDM and Mercury', () => {
  const suite = mercurySuite();
  const { id } = suite;

  const api = async (method: string, path: string, token = 'alice-token', body?: unknown) => {
    const res = await fetch(path.startsWith('http') ? path : `${suite.emu.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };

  const register = async (token = 'alice-token') => {
    const r = await api('POST', '/wdm/api/v1/devices?includeUpstreamServices=all', token, {
      name: 'test',
      deviceType: 'DESKTOP',
    });
    assert.equal(r.status, 200);
    return r.body as { url: string; webSocketUrl: string; userId: string; services: Record<string, string> };
  };

  /** Open, authorize, collect frames. */
  const open = (wsUrl: string, token: string | null = 'alice-token') => {
    const ws = new WebSocket(wsUrl);
    const frames: Array<Record<string, unknown>> = [];
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.on('close', (code, reason) => r({ code, reason: reason.toString() })),
    );
    ws.on('message', (d) => frames.push(JSON.parse(d.toString()) as Record<string, unknown>));
    const opened = new Promise<void>((r) => ws.on('open', () => r()));
    void opened.then(() => {
      if (token !== null)
        ws.send(JSON.stringify({ id: 'a1', type: 'authorization', data: { token: `Bearer ${token}` } }));
    });
    return { ws, frames, closed, opened };
  };

  const waitFor = async <T>(f: () => T | undefined, ms = 3000): Promise<T> => {
    const end = Date.now() + ms;
    for (;;) {
      const v = f();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  it('serves the U2C hostmap pointing at itself, the limited one without a token', async () => {
    const r = await api('GET', '/u2c/api/v1/catalog?format=hostmap');
    const links = r.body?.serviceLinks as Record<string, string>;
    assert.equal(links.wdm, `${suite.emu.url}/wdm/api/v1`);
    assert.equal(links.hydra, `${suite.emu.url}/v1`);
    assert.equal(links.encryption, `${suite.emu.url}/encryption/api/v1`);
    assert.equal(
      (await fetch(`${suite.emu.url}/u2c/api/v1/limited/catalog?format=hostmap&orgId=x`)).status,
      200,
    );
    assert.equal((await api('GET', '/u2c/api/v1/catalog?format=hostmap', 'nope')).status, 401);
  });

  it('WDM: create, list, refresh, delete; 401, 403 past the limit, 404 unknown', async () => {
    const d = await register();
    assert.match(d.webSocketUrl, /^ws:\/\/127\.0\.0\.1:\d+\/mercury\//);
    assert.equal(d.userId, id('alice'));
    assert.equal(d.services.encryptionServiceUrl, `${suite.emu.url}/encryption/api/v1`);
    assert.equal(Array.isArray((await api('GET', '/wdm/api/v1/devices')).body?.devices), true);
    assert.equal((await api('PUT', d.url, 'alice-token', { name: 'test' })).status, 200);
    assert.equal(
      (await api('PUT', d.url, 'bob-token', {})).status,
      404,
      "another person's device is unknown",
    );
    assert.equal((await api('POST', '/wdm/api/v1/devices', 'bad-token', {})).status, 401);
    suite.emu.control.mercury.maxDevicesPerPerson = 2;
    await register();
    const refused = await api('POST', '/wdm/api/v1/devices', 'alice-token', {});
    assert.equal(refused.status, 403);
    assert.match(String(refused.body?.message), /excessive device registrations/);
    assert.equal((await api('DELETE', d.url)).status, 204);
    assert.equal((await api('DELETE', d.url)).status, 404);
    suite.emu.control.mercury.maxDevicesPerPerson = 10;
  });

  it('Mercury: buffer_state after auth, stamped frames, ping → pong with the same id', async () => {
    const d = await register();
    const c = open(d.webSocketUrl);
    const ready = await waitFor(() => c.frames[0]);
    assert.equal((ready.data as { eventType: string }).eventType, 'mercury.buffer_state');
    assert.equal(ready.type, undefined);
    assert.equal(ready.sequenceNumber, 1);
    assert.equal(typeof ready.timestamp, 'number');
    assert.equal(typeof ready.trackingId, 'string');
    c.ws.send(JSON.stringify({ messageId: ready.id, type: 'ack' }));
    c.ws.send(JSON.stringify({ id: 'p-42', type: 'ping' }));
    const pong = await waitFor(() => c.frames.find((f) => f.type === 'pong'));
    assert.equal(pong.id, 'p-42');
    suite.emu.world.postMessage(id('alice'), { roomId: id('dm'), text: 'x' });
    const act = await waitFor(() =>
      c.frames.find((f) => (f.data as { eventType?: string })?.eventType === 'conversation.activity'),
    );
    assert.equal(act.sequenceNumber, 2);
    const activity = (act.data as { activity: { object: { displayName: string }; encryptionKeyUrl: string } })
      .activity;
    assert.match(
      activity.object.displayName,
      /^eyJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiZGlyIn0\.\./,
      'dir/A256GCM JWE, no kid (docs/protocol.md §5.3)',
    );
    assert.match(activity.encryptionKeyUrl, /^kms:\/\//);
    c.ws.close();
  });

  it('closes 4401 on a bad token, 4404 on an unknown registration, 1008 without auth', async () => {
    const d = await register();
    assert.equal((await open(d.webSocketUrl, 'wrong').closed).code, 4401);
    const unknown = d.webSocketUrl.replace(
      /registrations\/[^/]+/,
      'registrations/00000000-0000-4000-8000-000000000000',
    );
    assert.equal((await open(unknown).closed).code, 4404);
    suite.emu.control.mercury.setAuthTimeout(50);
    const silent = await open(d.webSocketUrl, null).closed;
    suite.emu.control.mercury.setAuthTimeout(30_000);
    assert.equal(silent.code, 1008);
    assert.match(silent.reason, /authentication did not happen/);
  });

  it('a second socket on one registration replaces the first (4000); shutdown then 4001', async () => {
    const d = await register();
    const first = open(d.webSocketUrl);
    await waitFor(() => first.frames[0]);
    const second = open(d.webSocketUrl);
    await waitFor(() => second.frames[0]);
    assert.deepEqual(await first.closed, { code: 4000, reason: 'replaced' });
    assert.equal(suite.emu.control.mercury.shutdown('alice', 50), 1);
    await waitFor(() => second.frames.find((f) => f.type === 'shutdown'));
    assert.equal((await second.closed).code, 4001);
  });

  it('a revoked token closes its sockets with 4401', async () => {
    const d = await register('bob-token');
    const c = open(d.webSocketUrl, 'bob-token');
    await waitFor(() => c.frames[0]);
    suite.emu.control.mercury.revokeToken('bob-token');
    assert.equal((await c.closed).code, 4401);
    suite.emu.world.reset();
  });
  it('a shared file carries a true SCR: its key, IV and tag encrypt the bytes; loc is the REST URL', async () => {
    const d = await register('bob-token');
    const c = open(d.webSocketUrl, 'bob-token');
    await waitFor(() => c.frames[0]);
    const bytes = Buffer.from('quarterly numbers');
    const m = suite.emu.world.postMessage(id('alice'), {
      roomId: id('team'),
      text: 'the report',
      files: [{ name: 'q.txt', contentType: 'text/plain', bytes }],
    });
    const frame = await waitFor(() =>
      c.frames.find((f) => (f.data as { eventType?: string })?.eventType === 'conversation.activity'),
    );
    const activity = (frame.data as { activity: Record<string, unknown> }).activity as {
      verb: string;
      encryptionKeyUrl: string;
      object: { files: { items: Array<{ url: string; scr: string; displayName: string }> } };
    };
    assert.equal(activity.verb, 'share');
    const key = suite.emu.control.mercury.contentKey(activity.encryptionKeyUrl);
    const file = activity.object.files.items[0];
    assert.ok(file);
    assert.equal(decryptCompactJwe(file.displayName, key), 'q.txt');
    const scr = JSON.parse(decryptCompactJwe(file.scr, key)) as Record<string, string>;
    assert.deepEqual(Object.keys(scr).sort(), ['aad', 'enc', 'iv', 'key', 'loc', 'tag']);
    assert.equal(scr.enc, 'A256GCM');
    assert.equal(scr.loc, file.url);
    assert.equal(scr.loc, `${suite.emu.url}/v1/contents/${contentId(m.id, 0)}`);
    const k = Buffer.from(scr.key as string, 'base64url');
    const iv = Buffer.from(scr.iv as string, 'base64url');
    assert.equal(k.length, 32);
    assert.equal(iv.length, 12);
    const cipher = createCipheriv('aes-256-gcm', k, iv);
    cipher.setAAD(Buffer.from(scr.aad as string, 'utf8'));
    cipher.update(bytes);
    cipher.final();
    assert.equal(cipher.getAuthTag().toString('base64url'), scr.tag, 'the tag is that of these bytes');
    const dl = await fetch(scr.loc as string, { headers: { authorization: 'Bearer bob-token' } });
    assert.equal(dl.status, 200);
    assert.deepEqual(Buffer.from(await dl.arrayBuffer()), bytes);
    c.ws.close();
  });
});

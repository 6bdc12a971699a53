/**
 * The emulator's edges: it listens on loopback unless told otherwise, its control API refuses
 * callers from another address, and a Mercury client frame over the limit closes the socket (1009).
 * (Body limits of REST and controlToken are covered in rest-basics and server tests.)
 */
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { test } from 'node:test';
import WebSocket from 'ws';
import { MAX_CLIENT_FRAME } from '../src/mercury/hub.js';
import { startEmulator } from '../src/server.js';
import { seedBot, seedOrg } from '../src/state/seeds.js';
import type { Seed } from '../src/state/types.js';

const seed: Seed = { orgs: [seedOrg('acme', 'Acme')], people: [seedBot('BOUNDARY_BOT')], rooms: [] };

test('binds to 127.0.0.1 by default', async () => {
  const emu = await startEmulator({ port: 0 });
  try {
    assert.match(emu.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  } finally {
    await emu.stop();
  }
});

const external = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

test('the control API refuses a caller that is not on loopback', {
  skip: external ? false : 'no non-loopback interface',
}, async () => {
  const emu = await startEmulator({ port: 0, host: '0.0.0.0', seed });
  try {
    const port = new URL(emu.url).port;
    const far = await fetch(`http://${external}:${port}/_emulator/people`);
    assert.equal(far.status, 403);
    const near = await fetch(`http://127.0.0.1:${port}/_emulator/people`);
    assert.equal(near.status, 200);
  } finally {
    await emu.stop();
  }
});

test('a Mercury client frame over the limit closes the socket with 1009', async () => {
  const emu = await startEmulator({ port: 0, seed });
  try {
    const reg = await fetch(`${emu.url}/wdm/api/v1/devices`, {
      method: 'POST',
      headers: { authorization: 'Bearer BOUNDARY_BOT', 'content-type': 'application/json' },
      body: JSON.stringify({
        deviceName: 'boundary',
        deviceType: 'DESKTOP',
        localizedModel: 'x',
        model: 'x',
        name: 'x',
        systemName: 'x',
        systemVersion: '1',
      }),
    });
    assert.equal(reg.status, 200);
    const { webSocketUrl } = (await reg.json()) as { webSocketUrl: string };
    const ws = new WebSocket(webSocketUrl);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => {});
    ws.send('x'.repeat(MAX_CLIENT_FRAME + 1));
    assert.equal(await closed, 1009);
  } finally {
    await emu.stop();
  }
});

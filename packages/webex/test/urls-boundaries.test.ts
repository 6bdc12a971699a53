/**
 * Server-sent URLs outside the allow-list are refused before anything is sent there. A WDM device
 * whose Mercury or KMS URL points at another origin makes `connect()` fail with UrlNotAllowedError.
 * A U2C catalog whose WDM link does is refused too, and discovery falls back to the default Webex
 * WDM host (device.ts `discover`, docs/protocol.md §2.1). Offline: an injected fetch serves only the fake cloud.
 * (REST next links: rest-pipeline.test.ts.)
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { UrlNotAllowedError } from '../src/errors.js';
import { WebexMessageHandler } from '../src/mercury/receiver.js';

type Mode = 'catalog' | 'websocket' | 'kms';

describe('server-sent URLs outside the allow-list', () => {
  let server: Server;
  let origin = '';
  let mode: Mode = 'catalog';
  const seen: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      seen.push(`${req.method} ${req.url}`);
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const url = new URL(req.url ?? '/', origin);
      if (url.pathname.startsWith('/u2c/api/v1/')) {
        const wdm = mode === 'catalog' ? 'https://wdm.evil.example/wdm/api/v1' : `${origin}/wdm/api/v1`;
        return json(200, { serviceLinks: { wdm, hydra: `${origin}/v1` }, format: 'hostmap' });
      }
      if (url.pathname === '/wdm/api/v1/devices' && req.method === 'GET') return json(200, { devices: [] });
      if (url.pathname === '/wdm/api/v1/devices' && req.method === 'POST') {
        return json(200, {
          url: `${origin}/wdm/api/v1/devices/d1`,
          webSocketUrl:
            mode === 'websocket' ? 'wss://mercury.evil.example/x' : `${origin.replace('http', 'ws')}/m`,
          userId: '00000000-0000-1000-8000-000000000001',
          services: {
            encryptionServiceUrl:
              mode === 'kms' ? 'https://kms.evil.example/encryption/api/v1' : `${origin}/encryption/api/v1`,
          },
        });
      }
      json(404, { message: 'not here' });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  for (const m of ['catalog', 'websocket', 'kms'] as const) {
    it(`${m}: refused, and nothing goes to the foreign origin`, async () => {
      mode = m;
      seen.length = 0;
      const fetched: string[] = [];
      const handler = new WebexMessageHandler({
        mode: 'injected',
        fetch: async (input, init) => {
          const url = String(input instanceof Request ? input.url : input);
          fetched.push(url);
          if (!url.startsWith(origin)) throw new TypeError('offline: only the fake cloud answers');
          return globalThis.fetch(input, init);
        },
        webSocketFactory: () => {
          throw new Error('no socket is opened in these tests');
        },
        token: 'BOUNDARY_TOKEN',
        ignoreSelfMessages: false,
        reconcile: false,
        baseUrl: `${origin}/v1`,
        u2cUrl: `${origin}/u2c/api/v1`,
        allowedOrigins: [origin, origin.replace('http', 'ws')],
        httpTimeout: 2000,
      });
      handler.on('error', () => {});
      if (m === 'catalog') {
        await assert.rejects(handler.connect());
        assert.ok(
          fetched.some((u) => u.startsWith('https://wdm-a.wbx2.com/')),
          'fell back to the Webex WDM',
        );
      } else {
        await assert.rejects(handler.connect(), UrlNotAllowedError);
      }
      await handler.disconnect().catch(() => {});
      assert.ok(seen.length > 0, 'the fake cloud was asked');
      assert.deepEqual(
        fetched.filter((u) => u.includes('evil.example')),
        [],
        'nothing was sent to the foreign origin',
      );
    });
  }
});

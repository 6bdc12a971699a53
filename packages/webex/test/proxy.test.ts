/**
 * `proxyFromEnv()`: the rules of HTTPS_PROXY / HTTP_PROXY / NO_PROXY per destination, and the
 * library's REST, U2C, WDM, KMS and Mercury upgrade through a real forward proxy (the `proxy`
 * package) in front of the emulator. The emulator speaks plain http on loopback, so its REST calls
 * are forwarded (the proxy logs each one) while the WebSocket is tunnelled with CONNECT, exactly as
 * the wss upgrade to the real Mercury is; what runs inside the tunnel (TLS or not) is not the proxy's
 * business.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type RunningEmulator, startEmulator } from '@herald/emulator';
import {
  encodeId,
  ProxyError,
  WebexClient,
  type WebexEvent,
  WebexMessageHandler,
  WebexNetworkError,
} from '@herald/webex';
import { type EnvProxy, proxyFromEnv, redactProxyUrl } from '@herald/webex/proxy';
import { WebSocketServer } from 'ws';
import { selfSignedCertificate } from '../../emulator/src/mercury/cert.js';
import { type ForwardProxy, setProxyEnv, startForwardProxy } from './forward-proxy.js';
import { directSeed } from './seed.js';

const PASSWORD = 's3cret-proxy-pass';

describe('proxyFromEnv: which destination goes through which proxy', () => {
  after(() => setProxyEnv({}));

  it('returns undefined when no proxy variable is set', async () => {
    setProxyEnv({ NO_PROXY: '*' });
    assert.equal(await proxyFromEnv(), undefined);
  });

  it('a variable that is not a URL is named, its value is not shown', async () => {
    setProxyEnv({ HTTPS_PROXY: 'http://user:pw@[bad' });
    await assert.rejects(proxyFromEnv(), (err: Error) => {
      assert.match(err.message, /HTTPS_PROXY is not a proxy URL/);
      assert.doesNotMatch(err.message, /pw/);
      return true;
    });
  });

  const CORP = 'http://corp:3128';
  const PLAIN = 'http://plain:8080';
  const API = 'https://webexapis.com/v1';
  /** No proxy: the destination is reached directly. */
  const DIRECT = undefined;
  const cases: Array<[string, Record<string, string>, string, string | undefined]> = [
    ['https by HTTPS_PROXY', { HTTPS_PROXY: 'http://u:p@corp:3128' }, API, CORP],
    ['lower case https_proxy', { https_proxy: CORP }, API, CORP],
    ['wss is looked up as https', { HTTPS_PROXY: CORP }, 'wss://mercury-connection-a.wbx2.com/v1/apps', CORP],
    ['ws is looked up as http', { HTTP_PROXY: PLAIN }, 'ws://127.0.0.1:9/x', PLAIN],
    ['http is not served by HTTPS_PROXY', { HTTPS_PROXY: CORP }, 'http://127.0.0.1:9/v1', DIRECT],
    ['a proxy without a scheme is http', { HTTPS_PROXY: 'corp:3128' }, API, CORP],
    ['NO_PROXY suffix', { HTTPS_PROXY: CORP, NO_PROXY: '.wbx2.com' }, 'https://wdm-a.wbx2.com/wdm', DIRECT],
    ['NO_PROXY suffix leaves others', { HTTPS_PROXY: CORP, NO_PROXY: '.wbx2.com' }, API, CORP],
    [
      'NO_PROXY with the port',
      { HTTPS_PROXY: CORP, no_proxy: 'kms.local:8443' },
      'https://kms.local:8443/k',
      DIRECT,
    ],
    ['NO_PROXY another port', { HTTPS_PROXY: CORP, no_proxy: 'kms.local:8443' }, 'https://kms.local/k', CORP],
    ['NO_PROXY *', { HTTPS_PROXY: CORP, NO_PROXY: '*' }, API, DIRECT],
  ];
  for (const [name, env, url, expected] of cases) {
    it(name, async () => {
      setProxyEnv(env);
      const proxy = await proxyFromEnv();
      assert.ok(proxy);
      assert.equal(proxy.proxyFor(url), expected);
      assert.equal(proxy.agent(url) === undefined, expected === undefined);
      await proxy.close();
    });
  }

  it('one agent per proxy for the WebSocket, credentials never in the description', async () => {
    setProxyEnv({ HTTPS_PROXY: `http://user:${PASSWORD}@corp:3128` });
    const proxy = await proxyFromEnv();
    assert.ok(proxy);
    assert.equal(proxy.agent('wss://a.wbx2.com/x'), proxy.agent('wss://b.wbx2.com/y'));
    assert.equal(proxy.proxyFor('https://webexapis.com/v1'), 'http://corp:3128');
    assert.equal(redactProxyUrl(`https://u:${PASSWORD}@p.example:8443/`), 'https://p.example:8443');
    await proxy.close();
  });
});

describe('the library through a forward proxy, against the emulator', () => {
  let emu: RunningEmulator;
  let fwd: ForwardProxy;
  let proxy: EnvProxy;
  before(async () => {
    emu = await startEmulator({ port: 0, seed: directSeed('PX_BOT', 'alice', 'Alice', 'PX_ALICE') });
    fwd = await startForwardProxy({ user: 'herald', password: PASSWORD });
    setProxyEnv({ HTTP_PROXY: fwd.url, HTTPS_PROXY: fwd.url });
    const p = await proxyFromEnv();
    assert.ok(p);
    proxy = p;
  });
  after(async () => {
    await proxy.close();
    await fwd.close();
    await emu.stop();
    setProxyEnv({});
  });

  const handlerOptions = () => ({
    token: 'PX_BOT',
    u2cUrl: `${emu.url}/u2c/api/v1`,
    baseUrl: `${emu.url}/v1`,
    allowedOrigins: [emu.url, emu.wsUrl],
    deviceName: 'proxy-test',
    proxy,
  });

  it('carries U2C, WDM, KMS, REST and the Mercury upgrade (CONNECT); a message arrives', async () => {
    fwd.log.length = 0;
    const handler = new WebexMessageHandler(handlerOptions());
    const events: WebexEvent[] = [];
    handler.on('message.created', (e) => events.push(e));
    handler.on('error', () => {});
    await handler.connect();
    try {
      const alice = new WebexClient({ token: 'PX_ALICE', baseUrl: `${emu.url}/v1`, fetch: proxy.fetch });
      const room = [...emu.world.rooms.values()][0];
      assert.ok(room);
      await alice.messages.create({ roomId: encodeId('ROOM', room.id), text: 'through the proxy' });
      for (let i = 0; i < 250 && events.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(events.length, 1);
    } finally {
      await handler.disconnect();
    }
    const host = new URL(emu.url).host;
    const seen = (re: RegExp) => fwd.log.some((l) => re.test(l));
    assert.ok(seen(new RegExp(`^GET http://${host}/v1/people/me$`)), fwd.log.join('\n'));
    assert.ok(seen(/^GET http:\/\/.*\/u2c\/api\/v1\/(limited\/)?catalog/), fwd.log.join('\n'));
    assert.ok(seen(/^(POST|PUT|GET) http:\/\/.*\/wdm\/api\/v1\/devices/), fwd.log.join('\n'));
    assert.ok(seen(/^POST http:\/\/.*\/encryption\/api\/v1\/kms\/messages$/), fwd.log.join('\n'));
    assert.ok(seen(new RegExp(`^POST http://${host}/v1/messages$`)), fwd.log.join('\n'));
    assert.ok(seen(new RegExp(`^CONNECT ${host}$`)), fwd.log.join('\n'));
  });

  it('a NO_PROXY match goes direct, the rest still through the proxy', async () => {
    const host = new URL(emu.url).host;
    setProxyEnv({ HTTP_PROXY: fwd.url, HTTPS_PROXY: fwd.url, NO_PROXY: host });
    try {
      fwd.log.length = 0;
      const client = new WebexClient({ token: 'PX_BOT', baseUrl: `${emu.url}/v1`, fetch: proxy.fetch });
      const me = await client.people.me();
      assert.equal(me.type, 'bot');
      const handler = new WebexMessageHandler(handlerOptions());
      handler.on('error', () => {});
      await handler.connect();
      await handler.disconnect();
      assert.deepEqual(fwd.log, []);
      // Another destination is still proxied (the proxy finds nothing listening there).
      const other = `http://127.0.0.2:${new URL(emu.url).port}/nothing`;
      await proxy.fetch(other, { signal: AbortSignal.timeout(5000) }).catch(() => {});
      assert.deepEqual(fwd.log, [`GET ${other}`]);
    } finally {
      setProxyEnv({ HTTP_PROXY: fwd.url, HTTPS_PROXY: fwd.url });
    }
  });

  it('407 (wrong credentials): one error naming the proxy, not its password', async () => {
    const wrong = fwd.url.replace(PASSWORD, 'wrong-password');
    setProxyEnv({ HTTP_PROXY: wrong, HTTPS_PROXY: wrong });
    try {
      const client = new WebexClient({
        token: 'PX_BOT',
        baseUrl: `${emu.url}/v1`,
        fetch: proxy.fetch,
        retry: { attempts: 1 },
      });
      await assert.rejects(client.people.me(), (err: Error) => {
        assert.ok(err instanceof WebexNetworkError);
        assert.ok(err.cause instanceof ProxyError, String(err.cause));
        assert.equal(err.cause.status, 407);
        assert.match(err.message, new RegExp(`the proxy ${fwd.origin} asks for credentials`));
        assert.doesNotMatch(err.message, /wrong-password|herald:/);
        return true;
      });
    } finally {
      setProxyEnv({ HTTP_PROXY: fwd.url, HTTPS_PROXY: fwd.url });
    }
  });

  it('403 to CONNECT: the handler fails with a ProxyError (a passing failure), not as a refused token', async () => {
    fwd.refuseConnect = 403;
    try {
      const handler = new WebexMessageHandler({ ...handlerOptions(), connectAttempts: 1 });
      handler.on('error', () => {});
      await assert.rejects(handler.connect(), (err: Error) => {
        assert.ok(err instanceof ProxyError, `${err.name}: ${err.message}`);
        assert.equal(err.status, 403);
        assert.equal(err.code, 'HERALD_PROXY');
        assert.match(err.message, new RegExp(`the proxy ${fwd.origin} refused it \\(403 to CONNECT`));
        assert.doesNotMatch(err.message, new RegExp(PASSWORD));
        return true;
      });
    } finally {
      fwd.refuseConnect = undefined;
    }
  });
});

describe('https and wss destinations: everything tunnelled with CONNECT', () => {
  // The real Webex is https and wss only. A small TLS server stands for it (the emulator is plain
  // http); the client trusts its self-signed certificate through NODE_EXTRA_CA_CERTS, as a user
  // behind a TLS-inspecting proxy trusts the proxy's CA, so it runs in a child process.
  let dir: string;
  let server: Server;
  let target: string;
  let fwd: ForwardProxy;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'herald-tls-'));
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const cert = new X509Certificate(selfSignedCertificate('127.0.0.1', publicKey, privateKey)).toString();
    writeFileSync(join(dir, 'ca.pem'), cert);
    server = createServer({ cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }) }, (req, res) => {
      if (req.url === '/v1/people/me')
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"x","displayName":"Over TLS"}');
      else res.writeHead(404).end();
    });
    new WebSocketServer({ server, path: '/socket' }).on('connection', (ws) => ws.send('hello over wss'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    target = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    fwd = await startForwardProxy({ user: 'herald', password: PASSWORD });
  });
  after(async () => {
    await fwd.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const runClient = () =>
    new Promise<{ rest: string; ws: string }>((resolve, reject) => {
      const script = fileURLToPath(new URL('./fixtures/proxy-tls-client.ts', import.meta.url));
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
        TLS_TARGET: target,
      };
      for (const k of ['HTTP_PROXY', 'http_proxy', 'https_proxy', 'NO_PROXY', 'no_proxy']) delete env[k];
      env.HTTPS_PROXY = fwd.url;
      execFile(
        process.execPath,
        ['--import', 'tsx', script],
        { env, timeout: 30_000 },
        (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
      );
    });

  it('REST over https and the wss upgrade both go through CONNECT; the proxy sees no request inside', async () => {
    fwd.log.length = 0;
    const got = await runClient();
    assert.deepEqual(got, { rest: 'Over TLS', ws: 'hello over wss' });
    const host = new URL(target).host;
    assert.ok(fwd.log.length >= 2, fwd.log.join('\n'));
    assert.deepEqual(new Set(fwd.log), new Set([`CONNECT ${host}`]));
  });

  it('a refused CONNECT names the proxy for REST and for the WebSocket, without its password', async () => {
    fwd.refuseConnect = 403;
    try {
      const got = await runClient();
      const named = `the proxy ${fwd.origin} refused it (403 to`;
      assert.ok(got.rest.includes(named) && got.rest.includes('HERALD_PROXY'), got.rest);
      assert.ok(got.ws.startsWith(`error: ProxyError: ${named} CONNECT ${new URL(target).host}`), got.ws);
      assert.ok(!JSON.stringify(got).includes(PASSWORD));
    } finally {
      fwd.refuseConnect = undefined;
    }
  });
});

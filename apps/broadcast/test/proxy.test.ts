/**
 * The bot behind a corporate proxy: a real forward proxy (the `proxy` package) in front of the
 * emulator. `herald start` and `herald doctor` read HTTPS_PROXY / HTTP_PROXY / NO_PROXY; the proxy's
 * own log shows what it carried. The emulator speaks http on loopback, so REST, U2C, WDM, KMS and
 * contents are forwarded (one log line each) and the Mercury WebSocket is tunnelled with CONNECT, as
 * the wss upgrade to Webex is.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type RunningEmulator, startEmulator } from '@herald/emulator';
import { proxyFromEnv } from '@herald/webex/proxy';
import { botEnv } from '../../../harness/bot-instances.js';
import { until } from '../../../harness/wait.js';
import {
  type ForwardProxy,
  setProxyEnv,
  startForwardProxy,
} from '../../../packages/webex/test/forward-proxy.js';
import { ConfigError, loadSettings, parseConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { BOT_TOKEN, freePort, runBotOnEmulator, twoOrgSeed, WEBHOOK_SECRET } from './scenario.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const PASSWORD = 'pr0xy-s3cret';

/** Through the proxy the bot is slower to start: wait up to 30 s. */
const waitUntil = (what: string, ok: () => boolean | Promise<boolean>, ms = 30_000) =>
  until(what, ok, ms, 20);

describe('the bot through a forward proxy', () => {
  let emu: RunningEmulator;
  let fwd: ForwardProxy;
  let dir: string;
  before(async () => {
    emu = await startEmulator({ port: 0, seed: twoOrgSeed });
    fwd = await startForwardProxy({ user: 'herald', password: PASSWORD });
    dir = mkdtempSync(join(tmpdir(), 'herald-proxy-'));
  });
  after(async () => {
    setProxyEnv({});
    await fwd.close();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const bot = () => emu.world.findPerson('bot')!;
  const copiesIn = (roomKey: string) =>
    [...emu.world.messages.values()].filter(
      (m) => m.roomId === emu.world.findRoom(roomKey)!.id && m.personId === bot().id && !m.deleted,
    );
  const postToBot = (text: string, files?: Array<{ name: string; contentType: string; bytes: Buffer }>) =>
    emu.world.postMessage(emu.world.findPerson('alice')!.id, {
      roomId: emu.world.findRoom('alice-bot')!.id,
      text,
      ...(files ? { files } : {}),
    });

  function cliEnv(sqlite: string, proxy: Record<string, string>): NodeJS.ProcessEnv {
    const env = botEnv(emu, BOT_TOKEN, { HERALD_SQLITE: join(dir, sqlite), LOG_LEVEL: 'info' });
    for (const k of ['WEBEX_TEAMS_ACCESS_TOKEN', 'CONFIG_FILE']) delete env[k];
    for (const k of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'])
      delete env[k];
    return { ...env, ...proxy };
  }

  function runCli(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; out: () => string } {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    return { child, out: () => out };
  }

  it('herald start: every request of a broadcast with a file goes through the proxy, the WebSocket by CONNECT; the password is in no log line', async () => {
    fwd.log.length = 0;
    // Upper case for http, lower case for https: both spellings are read.
    const { child, out } = runCli(
      ['start'],
      cliEnv('start.sqlite', { HTTP_PROXY: fwd.url, https_proxy: fwd.url, HOST: 'localhost' }),
    );
    try {
      await waitUntil('the bot to connect', () => emu.control.mercury.socketCount(bot().id) > 0, 60_000);
      postToBot('proxied news', [
        { name: 'notes.txt', contentType: 'text/plain', bytes: Buffer.from('file body') },
      ]);
      await waitUntil('copies with the file', () =>
        ['acme-1', 'acme-2'].every((r) => copiesIn(r).some((m) => m.files.length === 1)),
      );
      await waitUntil('the report', () =>
        copiesIn('alice-bot').some((m) => /Delivered to/.test(m.markdown ?? '')),
      );
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    const host = new URL(emu.url).host;
    const log = fwd.log.join('\n');
    const seen = (re: RegExp) => fwd.log.some((l) => re.test(l));
    assert.ok(seen(new RegExp(`^GET http://${host}/v1/people/me$`)), log);
    assert.ok(seen(/^GET http:\/\/\S+\/u2c\/api\/v1\/(limited\/)?catalog/), log);
    assert.ok(seen(/^(POST|PUT|GET) http:\/\/\S+\/wdm\/api\/v1\/devices/), log);
    assert.ok(seen(/^POST http:\/\/\S+\/encryption\/api\/v1\/kms\/messages$/), log);
    assert.ok(seen(new RegExp(`^GET http://${host}/v1/rooms`)), log);
    assert.ok(seen(new RegExp(`^(GET|HEAD) http://${host}/v1/contents/`)), log);
    assert.ok(seen(new RegExp(`^POST http://${host}/v1/messages$`)), log);
    assert.ok(seen(new RegExp(`^CONNECT ${host}$`)), log);
    const lines = out().split('\n');
    assert.ok(
      lines.some((l) => l.includes('REST proxy') && l.includes(fwd.origin)),
      out(),
    );
    assert.ok(
      lines.some((l) => l.includes('herald broadcast bot running') && l.includes('http://localhost:')),
      out(),
    );
    assert.ok(!out().includes(PASSWORD), 'the proxy password reached a log line');
  });

  it('herald doctor: HTTPS to the REST base and the Mercury upgrade, each reported on its own', async () => {
    fwd.log.length = 0;
    const env = cliEnv('doctor.sqlite', { HTTPS_PROXY: fwd.url, HTTP_PROXY: fwd.url });
    const good = runCli(['doctor'], env);
    const code = await new Promise((r) => good.child.once('exit', r));
    assert.equal(code, 0, good.out());
    const host = new URL(emu.url).host;
    assert.match(
      good.out(),
      new RegExp(`ok +REST ${emu.url}/v1 reachable \\(through the proxy ${fwd.origin}\\)`),
    );
    assert.match(
      good.out(),
      new RegExp(`ok +Mercury WebSocket upgrade to ${host} \\(through the proxy ${fwd.origin}\\)`),
    );
    assert.ok(fwd.log.includes(`CONNECT ${host}`), fwd.log.join('\n'));

    fwd.refuseConnect = 403;
    try {
      const bad = runCli(['doctor'], env);
      const badCode = await new Promise((r) => bad.child.once('exit', r));
      assert.equal(badCode, 1, bad.out());
      assert.match(bad.out(), /ok +REST .* reachable/);
      assert.match(
        bad.out(),
        new RegExp(
          `FAIL Mercury WebSocket to ${host} .*the proxy ${fwd.origin} refused it \\(403 to CONNECT`,
        ),
      );
      assert.ok(!bad.out().includes(PASSWORD));
    } finally {
      fwd.refuseConnect = undefined;
    }
  });

  it('herald webhooks sync registers through the proxy; start --host refuses what is not an address', async () => {
    fwd.log.length = 0;
    const env = cliEnv('sync.sqlite', { HTTPS_PROXY: fwd.url, HTTP_PROXY: fwd.url });
    const sync = runCli(['webhooks', 'sync'], {
      ...env,
      PUBLIC_URL: 'https://bot.example.com',
      WEBHOOK_SECRET: WEBHOOK_SECRET,
    });
    assert.equal(await new Promise((r) => sync.child.once('exit', r)), 0, sync.out());
    const host = new URL(emu.url).host;
    assert.ok(fwd.log.includes(`POST http://${host}/v1/webhooks`), fwd.log.join('\n'));
    assert.ok(!sync.out().includes(PASSWORD));

    const bad = runCli(['start', '--host', 'http://0.0.0.0'], env);
    assert.equal(await new Promise((r) => bad.child.once('exit', r)), 2, bad.out());
    assert.match(bad.out(), /--host: not an address to bind/);
  });

  it('a refused CONNECT: one clear error per try, start and reconnect retried with backoff; a dropped tunnel: reconnect, no message lost', async () => {
    setProxyEnv({ HTTP_PROXY: fwd.url });
    const proxy = await proxyFromEnv();
    assert.ok(proxy);
    const lines: string[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk, _enc, done) {
          lines.push(...String(chunk).split('\n').filter(Boolean));
          done();
        },
      }),
    );
    fwd.refuseConnect = 403;
    const started = runBotOnEmulator({
      emu,
      token: BOT_TOKEN,
      config: parseConfig({
        delivery: { rate_per_second: 200, workers: 4, lease_seconds: 30, max_attempts: 3 },
      }),
      transport: 'mercury',
      webhookSecret: WEBHOOK_SECRET,
      port: await freePort(),
      sqlitePath: join(dir, 'inproc.sqlite'),
      instanceId: 'proxy-test',
      logger,
      proxy,
    });
    const retries = () => lines.filter((l) => l.includes('transport start failed; retrying'));
    try {
      await waitUntil('two refused starts', () => retries().length >= 2);
      fwd.refuseConnect = undefined;
      const running = await started;
      try {
        const tries = retries().map(
          (l) => JSON.parse(l) as { attempt: number; delay: number; error: string },
        );
        assert.deepEqual(
          tries.slice(0, 2).map((t) => [t.attempt, t.delay]),
          [
            [1, 1000],
            [2, 2000],
          ],
        );
        for (const t of tries)
          assert.match(t.error, new RegExp(`^the proxy ${fwd.origin} refused it \\(403 to CONNECT`));

        // The proxy drops the tunnel and refuses the next CONNECTs; a message is posted meanwhile.
        const connects = () => fwd.log.filter((l) => l.startsWith('CONNECT ')).length;
        const before = connects();
        fwd.refuseConnect = 403;
        assert.ok(fwd.dropTunnels() >= 1);
        postToBot('while the tunnel was down');
        const reconnectFailed = () => lines.filter((l) => l.includes('mercury: reconnect failed'));
        await waitUntil('a refused reconnect', () => reconnectFailed().length >= 1);
        assert.match(
          reconnectFailed()[0]!,
          new RegExp(`the proxy ${fwd.origin} refused it \\(403 to CONNECT`),
        );
        fwd.refuseConnect = undefined;
        await waitUntil('the copies', () =>
          ['acme-1', 'acme-2'].every((r) =>
            copiesIn(r).some((m) => m.text?.includes('while the tunnel was down')),
          ),
        );
        assert.ok(connects() > before, 'the bot tunnelled again');
        for (const r of ['acme-1', 'acme-2'])
          assert.equal(copiesIn(r).filter((m) => m.text?.includes('while the tunnel was down')).length, 1);
      } finally {
        await running.stop();
      }
    } finally {
      fwd.refuseConnect = undefined;
      await started.then((r) => r.stop()).catch(() => {});
      await proxy.close();
    }
    assert.ok(!lines.some((l) => l.includes(PASSWORD)), 'the proxy password reached a log line');
  });
});

describe('HOST', () => {
  const base = { WEBEX_TOKEN: 'T' };
  it('sets the bind address; an address with a scheme or port is refused, naming the variable', () => {
    assert.equal(loadSettings({ ...base, HOST: '::1' }).host, '::1');
    assert.equal(loadSettings({ ...base, HOST: 'bot.internal' }).host, 'bot.internal');
    assert.equal(loadSettings(base).host, undefined);
    for (const bad of ['http://0.0.0.0', '0.0.0.0:8080', 'a b'])
      assert.throws(
        () => loadSettings({ ...base, HOST: bad }),
        (e: Error) => e instanceof ConfigError && /^HOST:/.test(e.message),
      );
  });
});

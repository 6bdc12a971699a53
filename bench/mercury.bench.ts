/**
 * Mercury receiver benchmarks:
 * 1. decryptions/s of a typical message (displayName + content, key cached): ours vs node-jose vs bare
 *    node:crypto (targets ≥8× node-jose, ≥0.8× bare);
 * 2. latency from the emulator committing a message to the handler's `message.created`, p50/p99 over
 *    2,000 messages (target p99 ≤ 5 ms);
 * 3. resident memory of a connected idle handler, in a child process (target ≤ 60 MB).
 */
import { spawn } from 'node:child_process';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { encryptCompactJwe, MessageDecryptor, WebexMessageHandler } from '@herald/webex';
import { startMercuryHarness } from '../packages/emulator/test/mercury-harness.js';
import { type BenchTable, percentile } from './table.js';

interface JoseKeystore {
  add(k: unknown): Promise<unknown>;
}
interface NodeJose {
  JWK: { createKeyStore(): JoseKeystore };
  JWE: { createDecrypt(ks: JoseKeystore): { decrypt(s: string): Promise<{ plaintext: Buffer }> } };
}
const jose = createRequire(import.meta.url)('node-jose') as NodeJose;

async function rate(fn: () => unknown | Promise<unknown>, ms = 1000): Promise<number> {
  for (let i = 0; i < 200; i++) await fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 50; i++) await fn();
    n += 50;
  }
  return n / ((performance.now() - start) / 1000);
}

async function decryptBench(): Promise<BenchTable> {
  const key = randomBytes(32);
  const text =
    'Hello team, the deploy of build 4711 is done. Please check the dashboard and report anything odd.';
  const activity = {
    encryptionKeyUrl: 'kms://kms.example/keys/1',
    object: {
      objectType: 'comment',
      displayName: encryptCompactJwe(text, key),
      content: encryptCompactJwe(`<p>${text}</p>`, key),
    },
  };
  const ours = new MessageDecryptor({ getKey: async () => key, cachedKey: () => key });
  const ks = jose.JWK.createKeyStore();
  await ks.add({ kty: 'oct', k: key.toString('base64url'), alg: 'A256GCM' });
  const dec = jose.JWE.createDecrypt(ks);
  const bare = (jwe: string) => {
    const [h = '', , iv = '', ct = '', tag = ''] = jwe.split('.');
    const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    d.setAAD(Buffer.from(h, 'ascii'));
    d.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
  };
  const oursRate = await rate(() => ours.decryptActivity(activity));
  const joseRate = await rate(async () => {
    await dec.decrypt(activity.object.displayName);
    await dec.decrypt(activity.object.content);
  });
  const bareRate = await rate(() => {
    bare(activity.object.displayName);
    bare(activity.object.content);
  });
  return {
    title: 'Mercury: decrypt a typical message (displayName + content, cached key)',
    columns: ['implementation', 'messages/s', 'vs node-jose', 'vs bare node:crypto'],
    rows: [
      ['@herald/webex MessageDecryptor', oursRate, oursRate / joseRate, oursRate / bareRate],
      ['node-jose 2.x', joseRate, 1, joseRate / bareRate],
      ['bare node:crypto', bareRate, bareRate / joseRate, 1],
    ],
    targets: [
      { what: `ours ≥ 8× node-jose (${(oursRate / joseRate).toFixed(1)}×)`, met: oursRate >= 8 * joseRate },
      {
        what: `ours ≥ 0.8× bare node:crypto (${(oursRate / bareRate).toFixed(2)}×)`,
        met: oursRate >= 0.8 * bareRate,
      },
    ],
  };
}

async function latencyBench(): Promise<BenchTable> {
  const h = await startMercuryHarness();
  const handler = new WebexMessageHandler({
    token: 'bot-token',
    u2cUrl: `${h.url}/u2c/api/v1`,
    baseUrl: `${h.url}/v1`,
    allowedOrigins: [h.url],
  });
  await handler.connect();
  const alice = h.id('alice');
  const dm = h.id('dm');
  let resolve: (() => void) | undefined;
  handler.on('message.created', () => resolve?.());
  const samples: number[] = [];
  try {
    for (let i = 0; i < 2200; i++) {
      const got = new Promise<void>((r) => {
        resolve = r;
      });
      const t0 = performance.now();
      h.world.postMessage(alice, { roomId: dm, text: `message ${i}`, markdown: `message **${i}**` });
      await got;
      if (i >= 200) samples.push(performance.now() - t0);
    }
  } finally {
    await handler.disconnect();
    await h.stop();
  }
  const p99 = percentile(samples, 99);
  return {
    title:
      'Mercury: emulator accepts a message → handler fires message.created (2,000 messages, after 200 warm-up)',
    columns: ['p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
    rows: [[percentile(samples, 50), percentile(samples, 90), p99, Math.max(...samples)]],
    notes: [
      'Measured from the world commit (what the REST POST handler calls) to the event, through encryption, the WebSocket, decryption and mapping.',
    ],
    targets: [{ what: `p99 ≤ 5 ms (${p99.toFixed(2)} ms)`, met: p99 <= 5 }],
  };
}

const CHILD = `
import { WebexMessageHandler } from '@herald/webex';
const url = process.env.HERALD_EMU_URL;
const h = new WebexMessageHandler({ token: 'bot-token', u2cUrl: url + '/u2c/api/v1', baseUrl: url + '/v1', allowedOrigins: [url] });
await h.connect();
await new Promise((r) => setTimeout(r, 1500));
globalThis.gc?.();
await new Promise((r) => setTimeout(r, 200));
const m = process.memoryUsage();
process.stdout.write(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed }));
await h.disconnect();
process.exit(0);
`;

async function memoryBench(): Promise<BenchTable> {
  const { build } = (await import('esbuild')) as typeof import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
  const entry = join(dir, 'child.ts');
  const script = join(dir, 'child.mjs');
  writeFileSync(entry, CHILD);
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: script,
    logLevel: 'silent',
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    nodePaths: [join(process.cwd(), 'node_modules')],
  });
  const h = await startMercuryHarness();
  try {
    const out = await new Promise<string>((resolve, reject) => {
      // Bundled to plain JS first (esbuild, which tsx ships), so that the figure is the handler's, not tsx's.
      const child = spawn(process.execPath, ['--expose-gc', script], {
        env: { ...process.env, HERALD_EMU_URL: h.url },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let s = '';
      child.stdout.on('data', (d: Buffer) => {
        s += d.toString();
      });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(s) : reject(new Error(`child exited ${code}`))));
    });
    const m = JSON.parse(out) as { rss: number; heapUsed: number };
    const mb = (b: number) => b / 1024 / 1024;
    return {
      title: 'Mercury: resident memory of a connected, idle WebexMessageHandler (child process, bundled JS)',
      columns: ['RSS MB', 'heap used MB'],
      rows: [[mb(m.rss), mb(m.heapUsed)]],
      targets: [{ what: `RSS ≤ 60 MB (${mb(m.rss).toFixed(1)} MB)`, met: mb(m.rss) <= 60 }],
    };
  } finally {
    await h.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function mercuryBench(): Promise<BenchTable[]> {
  return [await decryptBench(), await latencyBench(), await memoryBench()];
}

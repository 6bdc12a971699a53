/**
 * Mercury receiver benchmarks, against the real emulator (`startEmulator`, port 0):
 * 1. decryptions/s of a typical message (displayName + content, key cached): ours (the synchronous
 *    cached-key path the handler takes) vs node-jose vs bare node:crypto, in interleaved rounds after a
 *    warm-up, medians reported (targets ≥ 8× node-jose, ≥ 0.8× bare);
 * 2. latency from the emulator accepting Alice's `POST /v1/messages` (her token, real REST) to the
 *    handler's `message.created`, p50/p99 over 2,000 messages (target p99 ≤ 5 ms);
 * 3. resident memory of a connected idle handler, in a child process running bundled JS after a GC
 *    (target ≤ 60 MB).
 */
import { spawn } from 'node:child_process';
import { createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type RunningEmulator, startEmulator } from '@herald/emulator';
import {
  encodeId,
  encryptCompactJwe,
  idToUuid,
  MessageDecryptor,
  WebexClient,
  WebexMessageHandler,
} from '@herald/webex/internal';
import { type BenchTable, percentile } from '../harness/table.js';
import { MERCURY_SEED } from '../packages/emulator/test/mercury-seed.js';

interface JoseKeystore {
  add(k: unknown): Promise<unknown>;
}
interface NodeJose {
  JWK: { createKeyStore(): JoseKeystore };
  JWE: { createDecrypt(ks: JoseKeystore): { decrypt(s: string): Promise<{ plaintext: Buffer }> } };
}
const jose = createRequire(import.meta.url)('node-jose') as NodeJose;

const median = (xs: number[]) => percentile(xs, 50);

/** Messages/s of a synchronous function over about `ms`. */
function rateSync(fn: () => unknown, ms: number): number {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    now = performance.now();
  }
  return n / ((now - start) / 1000);
}

/** Messages/s of an asynchronous function over about `ms`. */
async function rateAsync(fn: () => Promise<unknown>, ms: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 50; i++) await fn();
    n += 50;
    now = performance.now();
  }
  return n / ((now - start) / 1000);
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
  const impls = {
    ours: () => rateSync(() => ours.decryptCached(activity), ROUND_MS),
    oursAsync: () => rateAsync(() => ours.decryptActivity(activity), ROUND_MS),
    jose: () =>
      rateAsync(async () => {
        await dec.decrypt(activity.object.displayName);
        await dec.decrypt(activity.object.content);
      }, ROUND_MS),
    bare: () =>
      rateSync(() => {
        bare(activity.object.displayName);
        bare(activity.object.content);
      }, ROUND_MS),
  };
  type Impl = keyof typeof impls;
  const names = Object.keys(impls) as Impl[];
  const rates: Record<Impl, number[]> = { ours: [], oursAsync: [], jose: [], bare: [] };
  const vsJose: number[] = [];
  const vsBare: number[] = [];
  // Warm-up (JIT, the crypto binding), then rounds in a rotating order so that drift hits all alike.
  for (const n of names) await impls[n]();
  for (let r = 0; r < ROUNDS; r++) {
    const round = {} as Record<Impl, number>;
    for (let i = 0; i < names.length; i++) {
      const n = names[(i + r) % names.length] as Impl;
      round[n] = await impls[n]();
      rates[n].push(round[n]);
    }
    vsJose.push(round.ours / round.jose);
    vsBare.push(round.ours / round.bare);
  }
  const m = (n: Impl) => median(rates[n]);
  const oursJose = median(vsJose);
  const oursBare = median(vsBare);
  return {
    title: `Mercury: decrypt a typical message (displayName + content, cached key), median of ${ROUNDS} interleaved rounds`,
    columns: ['implementation', 'messages/s', 'vs node-jose', 'vs bare node:crypto'],
    rows: [
      ['@herald/webex decryptCached (sync, the handler’s path)', m('ours'), oursJose, oursBare],
      [
        '@herald/webex decryptActivity (async API)',
        m('oursAsync'),
        m('oursAsync') / m('jose'),
        m('oursAsync') / m('bare'),
      ],
      ['node-jose 2.x', m('jose'), 1, m('jose') / m('bare')],
      ['bare node:crypto', m('bare'), m('bare') / m('jose'), 1],
    ],
    notes: [
      `Ratios of the first row are medians of per-round ratios; ${ROUND_MS} ms per implementation per round, after one warm-up round.`,
    ],
    targets: [
      { what: `ours ≥ 8× node-jose (${oursJose.toFixed(1)}×)`, met: oursJose >= 8 },
      { what: `ours ≥ 0.8× bare node:crypto (${oursBare.toFixed(2)}×)`, met: oursBare >= 0.8 },
    ],
  };
}

const ROUNDS = 9;
const ROUND_MS = 150;

function botHandler(emu: RunningEmulator): WebexMessageHandler {
  return new WebexMessageHandler({
    token: 'bot-token',
    u2cUrl: `${emu.url}/u2c/api/v1`,
    baseUrl: `${emu.url}/v1`,
    allowedOrigins: [emu.url],
  });
}

async function latencyBench(): Promise<BenchTable> {
  const emu = await startEmulator({ port: 0, seed: MERCURY_SEED, randomSeed: 7 });
  const handler = botHandler(emu);
  await handler.connect();
  const alice = new WebexClient({ token: 'alice-token', baseUrl: `${emu.url}/v1` });
  const roomId = encodeId('ROOM', emu.world.keys.rooms.get('dm') as string);
  // t0: the emulator accepts the POST — the world commit inside the REST handler, before any
  // listener (Mercury's fan-out included) runs. Matched to the handler's event by message id.
  const accepted = new Map<string, number>();
  const onChange = (c: { kind: string; message?: { id: string } }) => {
    if (c.kind === 'message.created' && c.message) accepted.set(c.message.id, performance.now());
  };
  emu.world.events.prependListener('change', onChange);
  const samples: number[] = [];
  const roundTrips: number[] = [];
  let arrived: ((uuid: string) => void) | undefined;
  handler.on('message.created', (e) => arrived?.(idToUuid(e.data.id, 'MESSAGE')));
  try {
    for (let i = 0; i < 2200; i++) {
      const got = new Promise<string>((r) => {
        arrived = r;
      });
      const sent = performance.now();
      const [uuid] = await Promise.all([
        got,
        alice.messages.create({ roomId, text: `message ${i}`, markdown: `message **${i}**` }),
      ]);
      const t1 = performance.now();
      const t0 = accepted.get(uuid);
      accepted.delete(uuid);
      if (t0 === undefined) throw new Error('event for a message the emulator did not accept');
      if (i >= 200) {
        samples.push(t1 - t0);
        roundTrips.push(t1 - sent);
      }
    }
  } finally {
    emu.world.events.off('change', onChange);
    await handler.disconnect();
    await emu.stop();
  }
  const p99 = percentile(samples, 99);
  return {
    title:
      'Mercury: emulator accepts POST /v1/messages → handler fires message.created (2,000 messages, after 200 warm-up)',
    columns: ['from', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
    rows: [
      ['emulator accepted the POST', median(samples), percentile(samples, 90), p99, Math.max(...samples)],
      [
        'Alice’s client sent the POST (incl. her REST round trip)',
        median(roundTrips),
        percentile(roundTrips, 90),
        percentile(roundTrips, 99),
        Math.max(...roundTrips),
      ],
    ],
    notes: [
      'Alice posts through WebexClient with her token; the emulator, the bot’s handler and Alice share one process. Through encryption, the WebSocket, decryption (cached key) and mapping.',
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
    // The workspace root's node_modules, wherever the bench is started from (npm runs it in bench/).
    nodePaths: [fileURLToPath(new URL('../node_modules', import.meta.url))],
    // The library's sources, as everywhere in the repository (its package.json points at dist/).
    alias: { '@herald/webex': fileURLToPath(new URL('../packages/webex/src/index.ts', import.meta.url)) },
  });
  const emu = await startEmulator({ port: 0, seed: MERCURY_SEED, randomSeed: 7 });
  try {
    const out = await new Promise<string>((resolve, reject) => {
      // Bundled to plain JS first (esbuild, which tsx ships), so that the figure is the handler's, not tsx's.
      const child = spawn(process.execPath, ['--expose-gc', script], {
        env: { ...process.env, HERALD_EMU_URL: emu.url },
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
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function mercuryBench(): Promise<BenchTable[]> {
  return [await decryptBench(), await latencyBench(), await memoryBench()];
}

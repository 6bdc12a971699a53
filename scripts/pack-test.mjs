#!/usr/bin/env node
// The packaging test: the three packages as their users get them. It builds and packs them, installs
// the tarballs alone (no workspace links) into a blank project in a temp folder, and then, on each Node
// version, checks that
//   - a plain .mjs Mercury bot, as the README writes it, gets a message from an emulator started with
//     the installed `herald-emulator` bin, and answers it;
//   - `require('@herald/webex')` works from a .cjs file, and the entry keeps internals out;
//   - a strict TypeScript consumer (nodenext, skipLibCheck false) type-checks the README's examples;
//   - `npx herald demo` runs as one plain node process (no tsx installed) and its chat page answers;
//   - `npx herald doctor` with a bad token exits non-zero and says the token was refused.
// Node 22 and 24 come from the npm registry (`node-linux-<arch>`), which also ships the headers that
// better-sqlite3's build needs, so nothing is downloaded from anywhere else.
// Usage: node scripts/pack-test.mjs [major ...]   (default 20 22 24; npm run test:pack)
// HERALD_PACK_DIR=<folder> works there and keeps it, so that a second run reuses the installed
// dependencies (better-sqlite3 is built from source once per Node version). HERALD_PACK_BUILT=1
// packs the dist/ folders as they are, without building them first (CI, right after a build).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { buildAndPack, npmCli, root } from './pack.mjs';
import { cmdline, descendants } from './proc.mjs';

const majors = process.argv.length > 2 ? process.argv.slice(2) : ['20', '22', '24'];
const keep = process.env.HERALD_PACK_DIR;
const work = keep ?? mkdtempSync(join(tmpdir(), 'herald-pack-'));
const rootPkg = (name) => JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8'));

/** Run to the end; throw with its output when the status is not `expect` (0 by default). */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  }
  return r;
}

/**
 * `run` without blocking, so that the installs and the checks of each Node version go side by side:
 * resolves with the status and the output, killing the command past `timeout` ms.
 */
function spawnAsync(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = opts.timeout ? setTimeout(() => child.kill('SIGKILL'), opts.timeout) : undefined;
    child.on('error', reject);
    child.on('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** `spawnAsync` that throws with the output unless the command exits 0; resolves with its stdout. */
async function runAsync(cmd, args, opts = {}) {
  const r = await spawnAsync(cmd, args, opts);
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Start a long-running command and resolve with it once a line of its stdout matches `ready`. */
function startUntil(cmd, args, opts, ready, what) {
  const child = spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('timed out')), 60_000);
    const fail = (e) => {
      clearTimeout(timer);
      stop(child);
      reject(new Error(`${what}: ${e.message}\n--- stdout\n${out}\n--- stderr\n${err}`));
    };
    child.on('exit', (code) => fail(new Error(`exited ${code} before it was ready`)));
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(ready);
      if (m) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ child, match: m, output: () => out, errors: () => err });
      }
    });
  });
}

/** The whole process group: npx, the shell it starts and the command. */
function stop(child) {
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {}
}

/** A Node binary and its headers: this one for its own major, else `node-<platform>-<arch>` from npm. */
function nodeFor(major) {
  if (process.versions.node.split('.')[0] === major) {
    return { node: process.execPath, nodedir: process.env.npm_config_nodedir ?? '' };
  }
  const dir = join(work, `node-${major}`);
  const pkg = `node-${process.platform}-${process.arch}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
  run(
    process.execPath,
    [npmCli, 'install', '--no-audit', '--no-fund', '--ignore-scripts', `${pkg}@${major}`],
    {
      cwd: dir,
    },
  );
  const home = join(dir, 'node_modules', pkg);
  return { node: join(home, 'bin', 'node'), nodedir: home };
}

const BOT = `// The README's Mercury bot, pointed at the emulator by environment variables.
import { LoopGuard, WebexClient, WebexMessageHandler } from '@herald/webex';

const token = process.env.WEBEX_TOKEN;
const client = new WebexClient({ token, baseUrl: process.env.WEBEX_API_URL });
const guard = new LoopGuard();
const handler = new WebexMessageHandler({
  token,
  baseUrl: process.env.WEBEX_API_URL,
  u2cUrl: process.env.WEBEX_U2C_URL,
  allowedOrigins: process.env.HERALD_ALLOWED_ORIGINS.split(','),
});
handler.on('message.created', async ({ data }) => {
  await guard.run(data.roomId, () =>
    client.messages.create({ roomId: data.roomId, markdown: \`You said: **\${data.text}**\` }),
  );
  console.log(\`answered: \${data.text}\`);
});
await handler.connect();
console.log('connected');
`;

const CJS = `const webex = require('@herald/webex');
const internal = require('@herald/webex/internal');
if (typeof webex.WebexClient !== 'function' || typeof webex.WebexMessageHandler !== 'function')
  throw new Error('require(@herald/webex) did not give the client and the handler');
for (const name of ['MercurySocket', 'KmsClient', 'DeviceManager', 'encryptCompactJwe', 'authorizationFrame']) {
  if (name in webex) throw new Error(name + ' is in the public entry');
  if (!(name in internal)) throw new Error(name + ' is missing from @herald/webex/internal');
}
console.log('require ok: ' + webex.encodeId('MESSAGE', '00000000-0000-4000-8000-000000000000'));
`;

// The SQLite store as installed: busy, its statements go to a worker thread that loads
// better-sqlite3 from the installed package by its resolved path.
const STORE = `import { Worker } from 'node:worker_threads';
import { Store } from '@herald/broadcast';
// Counts the statements sent to a worker thread.
let threaded = 0;
const post = Worker.prototype.postMessage;
Worker.prototype.postMessage = function (...a) {
  if (typeof a[0]?.sql === 'string') threaded++;
  return post.apply(this, a);
};
const store = new Store({ sqlitePath: 'store-check.sqlite' });
await store.migrate();
// Two seconds in a row of writes: the store is busy and its statements go to the thread.
let fresh = 0;
for (let i = 0; i < 200; i++) {
  if (i === 100) await new Promise((r) => setTimeout(r, 1050));
  if (await store.markSeen('event-' + i, i)) fresh++;
}
if (fresh !== 200 || (await store.markSeen('event-7', 1)) !== false) throw new Error('the store lost or repeated a key');
if (threaded === 0) throw new Error('no statement went to the worker thread');
await store.close();
console.log('the installed SQLite store kept 200 keys, ' + threaded + ' statements through its worker thread');
`;

// The README's examples, as one file a TypeScript user might write.
const CONSUMER = `import {
  createExpressMiddleware,
  createLambdaHandler,
  LoopGuard,
  syncWebhooks,
  WebexApiError,
  WebexClient,
  WebexMessageHandler,
  WebhookReceiver,
  type WebexEvent,
} from '@herald/webex';
import { startEmulator } from '@herald/emulator';
import { runBot, type Settings } from '@herald/broadcast';

export async function mercuryBot(token: string): Promise<WebexMessageHandler> {
  const client = new WebexClient({ token });
  const guard = new LoopGuard();
  const handler = new WebexMessageHandler({ token });
  handler.on('message.created', async ({ data }) => {
    await guard.run(data.roomId, () =>
      client.messages.create({ roomId: data.roomId, markdown: \`You said: **\${data.text}**\` }),
    );
  });
  await handler.connect();
  return handler;
}

export async function webhookBot(secret: string, client: WebexClient) {
  const receiver = new WebhookReceiver({ secret, client });
  receiver.on('message.created', async ({ data }) => {
    const text: string | undefined = data.text;
    void text;
  });
  const middleware = createExpressMiddleware(receiver);
  await syncWebhooks({
    client,
    targetUrl: 'https://bot.example.com/webhook',
    secret,
    resources: [{ resource: 'messages', event: 'created' }],
  });
  return middleware;
}

export function makeHandler(env: NodeJS.ProcessEnv = process.env) {
  const client = new WebexClient({ token: env.WEBEX_TOKEN! });
  const receiver = new WebhookReceiver({ secret: env.WEBHOOK_SECRET!, client });
  receiver.on('attachmentAction.created', async ({ data }) => {
    void data.inputs;
  });
  return createLambdaHandler(receiver);
}

export async function rest(token: string, roomId: string, bytes: Uint8Array) {
  const client = new WebexClient({ token, baseUrl: 'https://webexapis.com/v1' });
  for await (const room of client.rooms.list({ max: 1000 })) void room.title;
  const message = await client.messages.create({
    roomId,
    markdown: 'Report attached',
    file: { data: bytes, filename: 'q3.pdf', contentType: 'application/pdf' },
  });
  try {
    const { data, filename } = await client.contents.download(message.files![0]!);
    return { size: data.byteLength, filename };
  } catch (err) {
    if (err instanceof WebexApiError) return { status: err.status, trackingId: err.trackingId };
    throw err;
  }
}

export async function emulatorTest() {
  const emulator = await startEmulator({ port: 0, seed: 'demo' });
  emulator.control.post('alice', { toPerson: 'bot', text: 'ping' });
  const texts = emulator.control.messages('dm-alice-bot').map((m) => m.text);
  await emulator.stop();
  return texts;
}

export const kinds = (e: WebexEvent): string => e.type;
export type BotSettings = Settings;
export const start = runBot;
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'es2022',
    skipLibCheck: false,
    noEmit: true,
    types: ['node'],
  },
  files: ['consumer.ts'],
};

/** A blank project with the tarballs installed, for one Node version. */
async function install(major, tarballs) {
  const { node, nodedir } = nodeFor(major);
  const version = run(node, ['--version']).stdout.trim();
  const project = join(work, `project-${major}`);
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'package.json'), '{"name":"herald-consumer","private":true}\n');
  const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH}` };
  if (nodedir) env.npm_config_nodedir = nodedir;
  // better-sqlite3 compiles the same sqlite3.c for every Node version: ccache, when there, does it once.
  if (run('sh', ['-c', 'command -v ccache'], { allowFail: true }).status === 0) {
    env.CC = 'ccache cc';
    env.CXX = 'ccache c++';
  }
  for (const k of Object.keys(env))
    if (k.startsWith('npm_package_') || k === 'npm_lifecycle_event') delete env[k];
  const started = Date.now();
  const deps = [
    `typescript@${rootPkg('typescript').version}`,
    `@types/node@${major}`, // the types a user of that Node version installs
  ];
  await runAsync(node, [npmCli, 'install', '--no-audit', '--no-fund', ...tarballs, ...deps], {
    cwd: project,
    env,
  });
  return { major, node, version, project, env, seconds: (Date.now() - started) / 1000 };
}

async function check({ node, version, project, env, seconds }) {
  const log = (what) => console.log(`  node ${version}: ${what}`);
  log(`installed from the tarballs in ${seconds.toFixed(1)} s`);
  for (const dev of ['tsx', 'esbuild']) {
    if (existsSync(join(project, 'node_modules', dev)))
      throw new Error(`${dev} was installed with the packages`);
  }

  writeFileSync(join(project, 'check.cjs'), CJS);
  log((await runAsync(node, ['check.cjs'], { cwd: project, env })).trim());

  writeFileSync(join(project, 'store-check.mjs'), STORE);
  log((await runAsync(node, ['store-check.mjs'], { cwd: project, env })).trim());

  writeFileSync(join(project, 'consumer.ts'), CONSUMER);
  writeFileSync(join(project, 'tsconfig.json'), `${JSON.stringify(TSCONFIG, null, 2)}\n`);
  await runAsync(node, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], { cwd: project, env });
  log('the README examples type-check (strict, nodenext, skipLibCheck false)');

  const emulator = await startUntil(
    join(project, 'node_modules', '.bin', 'herald-emulator'),
    ['--seed', 'demo', '--port', '0'],
    { cwd: project, env },
    /listening on (http:\/\/[^\s]+)/,
    'herald-emulator',
  );
  const url = emulator.match[1];
  try {
    writeFileSync(join(project, 'bot.mjs'), BOT);
    const bot = await startUntil(
      node,
      ['bot.mjs'],
      {
        cwd: project,
        env: {
          ...env,
          WEBEX_TOKEN: 'DEMO_BOT_TOKEN',
          WEBEX_API_URL: `${url}/v1`,
          WEBEX_U2C_URL: `${url}/u2c/api/v1`,
          HERALD_ALLOWED_ORIGINS: `${url},${url.replace(/^http/, 'ws')}`,
        },
      },
      /connected/,
      'the Mercury bot',
    );
    try {
      const text = `hello from node ${version}`;
      const posted = await fetch(`${url}/_emulator/act/alice/post`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ toPerson: 'bot', text }),
      });
      if (!posted.ok) throw new Error(`posting as alice: ${posted.status} ${await posted.text()}`);
      const end = Date.now() + 30_000;
      let answers = [];
      while (answers.length === 0) {
        if (Date.now() > end) throw new Error(`the bot did not answer\n${bot.output()}\n${bot.errors()}`);
        await new Promise((r) => setTimeout(r, 100));
        const res = await fetch(`${url}/_emulator/rooms/dm-alice-bot/messages`);
        const { items } = await res.json();
        answers = items.filter((m) => (m.markdown ?? m.text ?? '').includes(`You said: **${text}**`));
      }
      log('the .mjs Mercury bot got a message from the installed herald-emulator and answered it');
    } finally {
      stop(bot.child);
    }

    const doctor = await spawnAsync('npx', ['--no-install', 'herald', 'doctor'], {
      cwd: project,
      env: {
        ...env,
        WEBEX_TOKEN: 'not-a-valid-token',
        WEBEX_API_URL: `${url}/v1`,
        HERALD_SQLITE: 'doctor.sqlite',
      },
      timeout: 60_000,
    });
    const said = `${doctor.stdout}${doctor.stderr}`;
    if (doctor.status === 0 || !/token refused/.test(said)) {
      throw new Error(`herald doctor with a bad token: status ${doctor.status}\n${said}`);
    }
    log(
      `npx herald doctor with a bad token exits ${doctor.status}: ${said.match(/.*token refused.*/)[0].trim()}`,
    );
  } finally {
    stop(emulator.child);
  }

  const demo = await startUntil(
    'npx',
    ['--no-install', 'herald', 'demo', '--port', '0', '--quiet'],
    { cwd: project, env },
    /Open the chat page: (http:\/\/[^\s]+)/,
    'npx herald demo',
  );
  try {
    const page = await fetch(demo.match[1]);
    const html = await page.text();
    if (!page.ok || !/<html/i.test(html)) throw new Error(`the chat page answered ${page.status}`);
    const tree = descendants(demo.child.pid).map((pid) => ({ pid, argv: cmdline(pid) }));
    const nodes = tree.filter(
      (p) => /(^|\/)node$/.test(p.argv[0] ?? '') && p.argv.some((a) => /herald/.test(a)),
    );
    const bot = nodes.filter((p) => p.argv.includes('demo') && !p.argv.some((a) => a.endsWith('npx-cli.js')));
    if (bot.length !== 1) throw new Error(`expected one herald process, found ${JSON.stringify(tree)}`);
    const children = descendants(bot[0].pid);
    if (children.length > 0) throw new Error(`herald demo started ${children.length} more processes`);
    if (tree.some((p) => p.argv.some((a) => /tsx/.test(a)))) throw new Error('tsx runs under herald demo');
    log(`npx herald demo is one node process (${bot[0].argv.slice(1).join(' ')}); its chat page answers`);
  } finally {
    stop(demo.child);
  }
}

const started = Date.now();
try {
  const tarballs = Object.values(
    buildAndPack(join(work, 'tarballs'), { build: process.env.HERALD_PACK_BUILT !== '1' }),
  );
  console.log(`packed ${tarballs.length} tarballs`);
  // The first install alone (it fills ccache with sqlite3.c), then the others side by side.
  const [first, ...others] = majors;
  const projects = [await install(first, tarballs)];
  projects.push(...(await Promise.all(others.map((major) => install(major, tarballs)))));
  // The checks of each version side by side too: most of their time is waiting for a process.
  // Each check stops what it started even when another fails first.
  const checked = await Promise.allSettled(projects.map((project) => check(project)));
  const failed = checked.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  console.log(
    `pack-test: ok on Node ${majors.join(', ')} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
}

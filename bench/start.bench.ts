/**
 * `herald start` as installed: the built bin in one plain node process, against the same bot run from
 * the sources through tsx (what the bin did before packages were built). SQLite store, Mercury
 * transport, an emulator in this process. Ready: from spawn to the bot's "running" log line. Idle RSS:
 * the resident memory of the whole process tree, 3 s after ready.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { manySpacesSeed, startEmulator } from '@herald/emulator';
import { type BenchTable, percentile } from '../harness/table.js';
import { descendants, rssOf } from '../scripts/proc.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = 5;
const IDLE_MS = 3000;
const TARGET_RSS_MB = 100;
const TARGET_READY_MS = 500;

const ways: Array<{ name: string; args: string[] }> = [
  { name: 'installed bin (built, plain node)', args: [join(root, 'apps/broadcast/dist/cli.js'), 'start'] },
  {
    name: 'from the sources through tsx (the old bin)',
    args: [join(root, 'node_modules/tsx/dist/cli.mjs'), join(root, 'apps/broadcast/src/cli.ts'), 'start'],
  },
];

/** `pid` and each process under it, with its resident memory in bytes. */
function tree(pid: number): Array<{ pid: number; rss: number }> {
  return [pid, ...descendants(pid)].map((p) => ({ pid: p, rss: rssOf(p) }));
}

async function once(
  args: string[],
  env: NodeJS.ProcessEnv,
  idle: boolean,
): Promise<{ readyMs: number; processes: number; rss: number }> {
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const readyMs = await new Promise<number>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`not ready in 30 s:\n${out}`)), 30_000);
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('herald broadcast bot running')) {
          clearTimeout(timer);
          resolve(performance.now() - started);
        }
      });
      child.once('exit', (code) => reject(new Error(`herald start exited ${code}:\n${out}`)));
    });
    if (!idle) return { readyMs, processes: 0, rss: 0 };
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const procs = tree(child.pid ?? 0);
    return { readyMs, processes: procs.length, rss: procs.reduce((a, p) => a + p.rss, 0) };
  } finally {
    child.removeAllListeners('exit');
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
}

export default async function start(): Promise<BenchTable[]> {
  const built = spawnSync(process.execPath, [join(root, 'scripts/build.mjs')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`npm run build failed:\n${built.stdout}${built.stderr}`);
  const emu = await startEmulator({
    port: 0,
    seed: manySpacesSeed({ spaces: 20, botToken: 'START_BOT', personToken: 'START_ALICE' }),
  });
  const dir = mkdtempSync(join(tmpdir(), 'herald-start-'));
  const rows: Array<Array<string | number>> = [];
  const targets: BenchTable['targets'] = [];
  try {
    for (const way of ways) {
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        WEBEX_TOKEN: 'START_BOT',
        WEBEX_API_URL: `${emu.url}/v1`,
        WEBEX_U2C_URL: `${emu.url}/u2c/api/v1`,
        HERALD_ALLOWED_ORIGINS: `${emu.url},${emu.wsUrl}`,
        HERALD_SQLITE: join(dir, `${rows.length}.sqlite`),
        PORT: '0',
        LOG_LEVEL: 'info',
      };
      await once(way.args, env, false); // warm the file cache and create the store
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await once(way.args, env, i === RUNS - 1));
      const ready = percentile(
        runs.map((r) => r.readyMs),
        50,
      );
      const last = runs[RUNS - 1]!;
      const rssMb = last.rss / 1024 / 1024;
      rows.push([way.name, last.processes, ready, Math.max(...runs.map((r) => r.readyMs)), rssMb]);
      if (rows.length === 1) {
        targets.push(
          { what: `installed: one process (${last.processes})`, met: last.processes === 1 },
          {
            what: `installed: idle RSS ≤ ${TARGET_RSS_MB} MB (${rssMb.toFixed(0)} MB)`,
            met: rssMb <= TARGET_RSS_MB,
          },
          {
            what: `installed: ready ≤ ${TARGET_READY_MS} ms (median ${ready.toFixed(0)} ms)`,
            met: ready <= TARGET_READY_MS,
          },
        );
      }
    }
  } finally {
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return [
    {
      title: `herald start: SQLite over Mercury, ${RUNS} starts each (a warm-up start first)`,
      columns: [
        'how it runs',
        'processes',
        'ready ms (median)',
        'ready ms (max)',
        `idle RSS MB (tree, ${IDLE_MS / 1000} s after ready)`,
      ],
      rows,
      notes: [
        'Ready: from spawn to the "herald broadcast bot running" log line (Mercury connected, store migrated).',
      ],
      targets,
    },
  ];
}

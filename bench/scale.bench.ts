/**
 * A broadcast at scale: 10,000 spaces (9,000 groups and 1,000 1-1s), on SQLite and on PostgreSQL,
 * with the emulator limiting `POST /messages` to R per second and the bot's limiter set to R.
 *
 * Per store: wall time against the floor N / R, REST calls against N + listing pages + 5, peak RSS
 * and heap, the longest event-loop stall (`monitorEventLoopDelay`), CPU per copy, store size, and
 * then a few idle seconds (CPU share and SQL statements per second with nothing to do).
 *
 * Fan-out efficiency: with no rate limit, the bot's copies per second against a bare `fetch` loop
 * with the same concurrency (the bot's workers), against the same emulator in the same run.
 *
 * Everything runs in this one process (emulator and bot), so CPU figures include the emulator's
 * share; the bare loop's figure carries the same share, which makes the two comparable.
 *
 * Knobs (environment): SCALE_GROUPS (9000), SCALE_DIRECTS (1000), SCALE_RATE (100 per second),
 * SCALE_FANOUT (2000 spaces for the fan-out runs), SCALE_IDLE_S (5), SCALE_STORES (`sqlite,postgres`;
 * PostgreSQL needs DATABASE_URL).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type RunningBot, runBot } from '@herald/broadcast';
import {
  type RunningEmulator,
  type Seed,
  seedBot,
  seedBotDirect,
  seedOrg,
  seedPerson,
  startEmulator,
} from '@herald/emulator';
import { encodeId, silentLogger } from '@herald/webex';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { parseConfig } from '../apps/broadcast/src/config.js';
import type { BenchTable } from './table.js';

const env = process.env;
const GROUPS = Number(env.SCALE_GROUPS ?? 9000);
const DIRECTS = Number(env.SCALE_DIRECTS ?? 1000);
const R = Number(env.SCALE_RATE ?? 100);
const FANOUT = Number(env.SCALE_FANOUT ?? 2000);
const IDLE_S = Number(env.SCALE_IDLE_S ?? 5);
const WORKERS = 4;
const STORES = (env.SCALE_STORES ?? 'sqlite,postgres')
  .split(',')
  .filter((s) => s === 'sqlite' || (s === 'postgres' && env.DATABASE_URL));

function scaleSeed(groups: number, directs: number): Seed {
  const people = Array.from({ length: directs }, (_, i) =>
    seedPerson(`p${i}`, 'acme', `Person ${i}`, `TP${i}`),
  );
  return {
    orgs: [seedOrg('acme', 'Acme')],
    people: [seedBot('SCALE_BOT'), seedPerson('alice', 'acme', 'Alice', 'SCALE_ALICE'), ...people],
    rooms: [
      seedBotDirect('alice', 'Alice'),
      ...people.map((p) => seedBotDirect(p.key ?? '', p.displayName ?? '')),
      ...Array.from({ length: groups }, (_, i) => ({
        key: `g${i}`,
        title: `Space ${i}`,
        creator: 'alice',
        members: ['bot'],
      })),
    ],
  };
}

/** SQL statements run, counted at the drivers (better-sqlite3 statements, pg queries). */
const statements = { n: 0 };
let countingInstalled = false;
function countStatements(): void {
  if (countingInstalled) return;
  countingInstalled = true;
  const probe = new SQLite(':memory:');
  const proto = Object.getPrototypeOf(probe.prepare('select 1')) as Record<string, unknown>;
  probe.close();
  for (const m of ['run', 'all', 'get', 'iterate']) {
    const orig = proto[m] as (...a: unknown[]) => unknown;
    proto[m] = function (this: unknown, ...a: unknown[]) {
      statements.n++;
      return orig.apply(this, a);
    };
  }
  const pgProto = pg.Client.prototype as unknown as Record<string, unknown>;
  const query = pgProto.query as (...a: unknown[]) => unknown;
  pgProto.query = function (this: unknown, ...a: unknown[]) {
    statements.n++;
    return query.apply(this, a);
  };
}

interface Sampler {
  stop(): { rssMb: number; heapMb: number; stallMs: number };
}

function sample(): Sampler {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  let rss = 0;
  let heap = 0;
  const tick = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  };
  tick();
  const timer = setInterval(tick, 100);
  return {
    stop() {
      clearInterval(timer);
      tick();
      h.disable();
      return { rssMb: rss / 2 ** 20, heapMb: heap / 2 ** 20, stallMs: h.max / 1e6 };
    },
  };
}

interface Started {
  emu: RunningEmulator;
  running: RunningBot;
  storeBytes(): Promise<number>;
  stop(): Promise<void>;
}

async function start(store: string, groups: number, directs: number, rate: number): Promise<Started> {
  const emu = await startEmulator({ port: 0, seed: scaleSeed(groups, directs) });
  const dir = mkdtempSync(join(tmpdir(), 'herald-scale-'));
  const sqlitePath = join(dir, 'scale.sqlite');
  const schema = `scale_${process.pid}_${Date.now() % 100000}`;
  const running = await runBot(
    {
      token: 'SCALE_BOT',
      config: parseConfig({
        delivery: { rate_per_second: rate, workers: WORKERS, lease_seconds: 60, max_attempts: 5 },
      }),
      locale: 'en_US',
      sqlitePath,
      databaseUrl: store === 'postgres' ? env.DATABASE_URL : undefined,
      port: 0,
      logLevel: 'silent',
      apiBaseUrl: `${emu.url}/v1`,
    },
    {
      logger: silentLogger,
      u2cUrl: `${emu.url}/u2c/api/v1`,
      allowedOrigins: [emu.url, emu.wsUrl],
      port: 0,
      schema: store === 'postgres' ? schema : undefined,
    },
  );
  const admin = () => new pg.Client({ connectionString: env.DATABASE_URL });
  return {
    emu,
    running,
    async storeBytes() {
      if (store === 'sqlite') {
        let bytes = 0;
        for (const f of [sqlitePath, `${sqlitePath}-wal`]) {
          try {
            bytes += statSync(f).size;
          } catch {}
        }
        return bytes;
      }
      const c = admin();
      await c.connect();
      try {
        const r = await c.query(
          `select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint as n from pg_class c
           join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relkind = 'r'`,
          [schema],
        );
        return Number(r.rows[0].n);
      } finally {
        await c.end();
      }
    },
    async stop() {
      await running.stop();
      await emu.stop();
      rmSync(dir, { recursive: true, force: true });
      if (store === 'postgres') {
        const c = admin();
        await c.connect();
        await c.query(`drop schema if exists ${schema} cascade`);
        await c.end();
      }
    },
  };
}

/** Post as Alice in her 1-1 with the bot; resolve when `n` copies are out (and, if asked, the report). */
async function broadcast(
  s: Started,
  n: number,
  waitReport: boolean,
  limitS: number,
): Promise<{ seconds: number; firstCopyS: number; sendSeconds: number }> {
  const world = s.emu.world;
  const botId = world.findPerson('bot')!.id;
  const alice = world.findPerson('alice')!;
  const direct = world.findRoom('alice-bot')!;
  const final = new RegExp(
    `Delivered to ${n.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} spaces|Delivered to ${n} of ${n} spaces`,
  );
  const before = world.messages.size;
  const started = performance.now();
  world.postMessage(alice.id, { roomId: direct.id, text: 'to everyone' });
  let firstCopy = 0;
  let lastCopy = 0;
  let seen = before + 1;
  let copies = 0;
  let reported = !waitReport;
  for (;;) {
    // Only the messages added since the last look (a Map keeps insertion order).
    let i = 0;
    for (const m of world.messages.values()) {
      if (i++ < seen) continue;
      seen++;
      if (m.personId !== botId) continue;
      if (m.roomId === direct.id) continue;
      copies++;
    }
    const t = performance.now();
    if (copies > 0 && firstCopy === 0) firstCopy = t;
    if (copies >= n && lastCopy === 0) lastCopy = t;
    if (!reported) {
      for (const m of world.messages.values())
        if (m.personId === botId && m.roomId === direct.id && !m.deleted && final.test(m.markdown ?? ''))
          reported = true;
    }
    if (copies >= n && reported) break;
    if (t - started > limitS * 1000)
      throw new Error(`broadcast did not finish in ${limitS} s (${copies} of ${n})`);
    await new Promise((r) => setTimeout(r, waitReport ? 200 : 20));
  }
  const end = performance.now();
  return {
    seconds: (end - started) / 1000,
    firstCopyS: (firstCopy - started) / 1000,
    sendSeconds: (lastCopy - firstCopy) / 1000,
  };
}

/** A bare loop: `concurrency` workers POSTing `n` messages as fast as the emulator answers. */
async function bareLoop(
  emu: RunningEmulator,
  n: number,
  concurrency: number,
): Promise<{ perSecond: number; cpuMs: number }> {
  const world = emu.world;
  const rooms = [...world.rooms.values()].filter((r) => r.type === 'group').slice(0, n);
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const room = rooms[next++];
        if (!room) return;
        const res = await fetch(`${emu.url}/v1/messages`, {
          method: 'POST',
          headers: { authorization: 'Bearer SCALE_BOT', 'content-type': 'application/json' },
          body: JSON.stringify({ roomId: encodeId('ROOM', room.id), markdown: 'bare loop' }),
        });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`bare loop: ${res.status}`);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: rooms.length / seconds, cpuMs: (used.user + used.system) / 1000 };
}

async function scaleRun(store: string) {
  const n = GROUPS + DIRECTS;
  const s = await start(store, GROUPS, DIRECTS, R);
  try {
    const botId = s.emu.world.findPerson('bot')!.id;
    s.emu.control.setRateLimits({ postPerToken: { capacity: R, perSecond: R } });
    s.emu.control.clearRequests();
    const stmts0 = statements.n;
    const cpu = process.cpuUsage();
    const sampler = sample();
    const b = await broadcast(s, n, true, Math.max(120, (3 * n) / R));
    const used = process.cpuUsage(cpu);
    const peaks = sampler.stop();
    const stmts = statements.n - stmts0;
    const calls = s.emu.control.requests({ personId: botId }).filter((r) => r.path.startsWith('/v1/'));
    const pages = calls.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/rooms')).length;
    const rateLimited = calls.filter((r) => r.status === 429).length;
    const bytes = await s.storeBytes();
    // Idle: nothing to do for IDLE_S seconds.
    await new Promise((r) => setTimeout(r, 1000));
    const idleCpu = process.cpuUsage();
    const idleStmts = statements.n;
    const idleStart = performance.now();
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const idleS = (performance.now() - idleStart) / 1000;
    const idleUsed = process.cpuUsage(idleCpu);
    return {
      n,
      seconds: b.seconds,
      firstCopyS: b.firstCopyS,
      calls: calls.length,
      pages,
      rateLimited,
      ...peaks,
      cpuPerCopyMs: (used.user + used.system) / 1000 / n,
      statementsPerCopy: stmts / n,
      storeMb: bytes / 2 ** 20,
      idleCpuPct: ((idleUsed.user + idleUsed.system) / 1e6 / idleS) * 100,
      idleStmtsPerS: (statements.n - idleStmts) / idleS,
    };
  } finally {
    await s.stop();
  }
}

async function fanoutRun(store: string) {
  const s = await start(store, FANOUT, 0, 1000);
  try {
    const loop = await bareLoop(s.emu, FANOUT, WORKERS);
    const cpu = process.cpuUsage();
    const b = await broadcast(s, FANOUT, false, 300);
    const used = process.cpuUsage(cpu);
    // Copies per second while sending (planning excluded), against the loop's.
    const botPerSecond = (FANOUT - 1) / b.sendSeconds;
    return {
      botPerSecond,
      loopPerSecond: loop.perSecond,
      botCpuMs: (used.user + used.system) / 1000 / FANOUT,
      loopCpuMs: loop.cpuMs / FANOUT,
    };
  } finally {
    await s.stop();
  }
}

export default async function (): Promise<BenchTable[]> {
  countStatements();
  const rows: BenchTable['rows'] = [];
  const targets: NonNullable<BenchTable['targets']> = [];
  const idleRows: BenchTable['rows'] = [];
  const fanRows: BenchTable['rows'] = [];
  for (const store of STORES) {
    const r = await scaleRun(store);
    const floor = r.n / R;
    const budget = r.n + r.pages + 5;
    rows.push([
      store,
      r.seconds,
      floor,
      r.seconds / floor,
      r.firstCopyS,
      r.calls,
      budget,
      r.rateLimited,
      r.rssMb,
      r.heapMb,
      r.stallMs,
      r.cpuPerCopyMs,
      r.statementsPerCopy,
      r.storeMb,
    ]);
    targets.push({
      what: `${store}: wall ≤ 1.05 × floor (${(r.seconds / floor).toFixed(3)}×)`,
      met: r.seconds / floor <= 1.05,
    });
    targets.push({
      what: `${store}: REST calls ≤ ${budget} (${r.calls}, ${r.rateLimited} answered 429)`,
      met: r.calls <= budget,
    });
    targets.push({
      what: `${store}: longest event-loop stall < 50 ms (${r.stallMs.toFixed(0)} ms)`,
      met: r.stallMs < 50,
    });
    idleRows.push([store, r.idleCpuPct, r.idleStmtsPerS]);
    targets.push({ what: `${store}: idle CPU < 1% (${r.idleCpuPct.toFixed(2)}%)`, met: r.idleCpuPct < 1 });
    targets.push({
      what: `${store}: idle SQL < 1/s (${r.idleStmtsPerS.toFixed(1)}/s)`,
      met: r.idleStmtsPerS < 1,
    });
  }
  for (const store of STORES) {
    const f = await fanoutRun(store);
    const ratio = f.botPerSecond / f.loopPerSecond;
    fanRows.push([store, f.botPerSecond, f.loopPerSecond, ratio, f.botCpuMs, f.loopCpuMs]);
    targets.push({ what: `${store}: fan-out ≥ 0.8 × bare loop (${ratio.toFixed(2)}×)`, met: ratio >= 0.8 });
  }
  return [
    {
      title: `Broadcast to ${(GROUPS + DIRECTS).toLocaleString('en-US')} spaces (${GROUPS} groups, ${DIRECTS} 1-1s), R = ${R}/s`,
      columns: [
        'store',
        'wall s',
        'floor s',
        'ratio',
        'first copy s',
        'REST calls',
        'budget',
        '429s',
        'peak RSS MB',
        'peak heap MB',
        'max stall ms',
        'CPU ms/copy',
        'SQL/copy',
        'store MB',
      ],
      rows,
      notes: [
        'Wall: sender posts → final report. Budget: N + room listing pages + 5. CPU: the whole process (bot and emulator).',
      ],
    },
    {
      title: `Idle for ${IDLE_S} s after the broadcast`,
      columns: ['store', 'CPU % of a core', 'SQL statements/s'],
      rows: idleRows,
    },
    {
      title: `Fan-out with no rate limit: ${FANOUT} spaces, ${WORKERS} workers vs a bare fetch loop of ${WORKERS}`,
      columns: ['store', 'bot copies/s', 'loop copies/s', 'ratio', 'bot CPU ms/copy', 'loop CPU ms/copy'],
      rows: fanRows,
      targets,
    },
  ];
}

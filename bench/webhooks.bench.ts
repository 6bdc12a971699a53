/**
 * Verified webhooks per second through the node:http adapter (size limit, HMAC-SHA1 over the raw
 * bytes, JSON parse, dedupe, async emit), next to a bare node:http server that reads the body and
 * answers 200 without checking anything. Same run, same requests, autocannon on loopback.
 * Target: the receiver keeps at least 0.7 of the bare server's throughput (median of the rounds).
 *
 * Each server runs in its own child process (this file, `serve <kind>`) and autocannon in this one,
 * so the load generator never shares a thread with the server it measures; both servers are run the
 * same way. Rounds alternate A-B / B-A so that drift in machine load hits both alike; each round
 * gives a ratio, and the median of those is the figure. About 25 s in all.
 *
 * Deliveries are `memberships:created` (hydrated from `data`, no REST call) with distinct ids, more
 * of them than the dedupe LRU holds, so every request is processed, none answered as a duplicate.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createNodeHandler, encodeId, signWebexBody, WebhookReceiver } from '@herald/webex';
import type { BenchTable } from '../harness/table.js';

interface AutocannonRequest {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
}
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  method: string;
  requests: Array<{ setupRequest: (req: AutocannonRequest) => AutocannonRequest }>;
}) => Promise<AutocannonResult>;

type ServerKind = 'bare' | 'receiver';
/** Child -> parent messages: the port once listening, CPU time used (µs) on `cpu`, events on `stop`. */
type ServerReport = { port: number } | { cpuMicros: number } | { handled: number };

const SELF = fileURLToPath(import.meta.url);
const SECRET = 'bench-secret';
const ROUNDS = 5; // odd: the median is one round's ratio
const DURATION_S = 2; // per round and server: 2 × 5 × 2 s = 20 s measured
const WARMUP_S = 1; // per server, not counted (JIT, connection set-up)
const CONNECTIONS = 32;
const POOL = 20_000; // > the default dedupe LRU (10,000 keys): every request is new to it

function deliveries(): Array<{ body: string; signature: string }> {
  const roomId = encodeId('ROOM', '7a3e3a1c-0000-4000-8000-000000000001');
  return Array.from({ length: POOL }, (_, i) => {
    const person = encodeId('PEOPLE', `0b1c2d3e-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const body = JSON.stringify({
      id: encodeId('WEBHOOK', '11111111-0000-4000-8000-000000000001'),
      name: 'herald:all:all',
      targetUrl: 'https://bot.example/webhook',
      resource: 'memberships',
      event: 'created',
      orgId: encodeId('ORGANIZATION', '22222222-0000-4000-8000-000000000001'),
      createdBy: encodeId('PEOPLE', '33333333-0000-4000-8000-000000000001'),
      appId: encodeId('APPLICATION', '44444444-0000-4000-8000-000000000001'),
      ownedBy: 'creator',
      status: 'active',
      created: '2024-05-01T09:00:00.000Z',
      actorId: person,
      data: {
        id: encodeId('MEMBERSHIP', `${i}:${roomId}`),
        roomId,
        personId: person,
        personEmail: `person${i}@acme.example`,
        personDisplayName: `Person ${i}`,
        personOrgId: encodeId('ORGANIZATION', '22222222-0000-4000-8000-000000000001'),
        isModerator: false,
        isMonitor: false,
        isRoomHidden: false,
        roomType: 'group',
        created: '2024-05-01T09:00:00.000Z',
      },
    });
    return { body, signature: signWebexBody(SECRET, body) };
  });
}

// ---- child side: one server per process ------------------------------------------------------

/** Serve one kind on a free loopback port; report the port, then the events handled on `stop`. */
async function serve(kind: ServerKind): Promise<void> {
  let handled = 0;
  let receiver: WebhookReceiver | undefined;
  let handler: (req: IncomingMessage, res: ServerResponse) => void;
  if (kind === 'bare') {
    handler = (req, res) => {
      req.resume();
      req.on('end', () => {
        res.statusCode = 200;
        res.end('ok');
      });
    };
  } else {
    const noFetch = async (): Promise<never> => {
      throw new Error('memberships are not fetched');
    };
    receiver = new WebhookReceiver({
      secret: SECRET,
      client: { messages: { get: noFetch }, attachmentActions: { get: noFetch }, people: { me: noFetch } },
    });
    receiver.on('membership.created', () => {
      handled++;
    });
    handler = createNodeHandler(receiver);
  }
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.on('message', async (msg) => {
    if (msg === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpuMicros: user + system } satisfies ServerReport);
      return;
    }
    if (msg !== 'stop') return;
    await receiver?.idle();
    server.closeAllConnections();
    server.close();
    process.send?.({ handled } satisfies ServerReport, () => process.disconnect());
  });
  process.send?.({ port: (server.address() as AddressInfo).port } satisfies ServerReport);
}

if (process.argv[1] === SELF && process.argv[2] === 'serve') {
  const kind = process.argv[3];
  if (kind !== 'bare' && kind !== 'receiver') throw new Error(`serve: unknown kind ${kind}`);
  await serve(kind);
}

// ---- parent side: autocannon ---------------------------------------------------------------

interface RunningServer {
  kind: ServerKind;
  url: string;
  /** CPU time the server process has used so far, µs. */
  cpu(): Promise<number>;
  /** Stop the server; resolves with the events it handled. */
  stop(): Promise<number>;
  child: ChildProcess;
}

function nextReport(child: ChildProcess): Promise<ServerReport> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench server exited early (code ${code})`));
    child.once('exit', onExit);
    child.once('message', (msg) => {
      child.off('exit', onExit);
      resolve(msg as ServerReport);
    });
  });
}

async function startServer(kind: ServerKind): Promise<RunningServer> {
  const child = fork(SELF, ['serve', kind], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const report = await nextReport(child);
    if (!('port' in report)) throw new Error('bench server did not report its port');
    return {
      kind,
      child,
      url: `http://127.0.0.1:${report.port}/webhook`,
      async cpu() {
        const reply = nextReport(child);
        child.send('cpu');
        const last = await reply;
        return 'cpuMicros' in last ? last.cpuMicros : Number.NaN;
      },
      async stop() {
        const done = nextReport(child);
        child.send('stop');
        const last = await done;
        return 'handled' in last ? last.handled : 0;
      },
    };
  } catch (err) {
    child.kill();
    throw err;
  }
}

/** Position in the pool per server, kept across rounds so that no round replays recent ids. */
const cursor = new Map<string, number>();

async function load(
  autocannon: Autocannon,
  url: string,
  pool: Array<{ body: string; signature: string }>,
  duration: number,
): Promise<AutocannonResult> {
  let next = cursor.get(url) ?? 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    method: 'POST',
    requests: [
      {
        setupRequest: (req) => {
          const d = pool[next++ % pool.length] as { body: string; signature: string };
          return {
            ...req,
            method: 'POST',
            body: d.body,
            headers: { 'content-type': 'application/json', 'x-spark-signature': d.signature },
          };
        },
      },
    ],
  });
  cursor.set(url, next);
  return result;
}

interface Round extends AutocannonResult {
  /** Share of one core the server process used during the round, %. */
  serverCpu: number;
  /** Share of one core this process (autocannon) used during the round, %. */
  generatorCpu: number;
  /** Server CPU time per answered request, µs: the cost of one delivery, whatever the machine's load. */
  serverMicrosPerRequest: number;
}

/** One measured round, with the CPU both sides used: tells whether the server or the generator was the limit. */
async function measure(
  autocannon: Autocannon,
  server: RunningServer,
  pool: Array<{ body: string; signature: string }>,
): Promise<Round> {
  const serverBefore = await server.cpu();
  const mineBefore = process.cpuUsage();
  const start = performance.now();
  const result = await load(autocannon, server.url, pool, DURATION_S);
  const elapsedMicros = (performance.now() - start) * 1000;
  const mine = process.cpuUsage(mineBefore);
  const serverMicros = (await server.cpu()) - serverBefore;
  return {
    ...result,
    serverCpu: (100 * serverMicros) / elapsedMicros,
    generatorCpu: (100 * (mine.user + mine.system)) / elapsedMicros,
    serverMicrosPerRequest: serverMicros / result.requests.total,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** One row: median req/s and latency over the rounds, totals summed. */
function summary(name: string, runs: Round[]): Array<string | number> {
  return [
    name,
    median(runs.map((r) => r.requests.average)),
    median(runs.map((r) => r.latency.p50)),
    median(runs.map((r) => r.latency.p99)),
    Math.round(median(runs.map((r) => r.serverCpu))),
    Math.round(median(runs.map((r) => r.generatorCpu))),
    median(runs.map((r) => r.serverMicrosPerRequest)),
    runs.reduce((n, r) => n + r.requests.total, 0),
    runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts, 0),
  ];
}

export default async function bench(): Promise<BenchTable[]> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const pool = deliveries();
  const [bare, receiver] = await Promise.all([startServer('bare'), startServer('receiver')]);
  const runs: Record<ServerKind, Round[]> = { bare: [], receiver: [] };
  let handled = 0;
  try {
    for (const server of [bare, receiver]) await load(autocannon, server.url, pool, WARMUP_S);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [bare, receiver] : [receiver, bare];
      for (const server of order) runs[server.kind].push(await measure(autocannon, server, pool));
    }
    await bare.stop();
    handled = await receiver.stop();
  } finally {
    bare.child.kill();
    receiver.child.kill();
  }

  const ratios = runs.receiver.map(
    (r, i) => r.requests.average / (runs.bare[i]?.requests.average ?? Number.NaN),
  );
  const ratio = median(ratios);
  const sent = runs.receiver.reduce((n, r) => n + r.requests.total, 0);
  return [
    {
      title: `Webhook receiver vs bare node:http (autocannon in the parent, each server in its own child process, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${DURATION_S} s each after a ${WARMUP_S} s warm-up, loopback)`,
      columns: [
        'server',
        'median req/s',
        'p50 ms',
        'p99 ms',
        'server CPU %',
        'autocannon CPU %',
        'server CPU µs/req',
        'requests',
        'non-2xx/errors',
      ],
      rows: [
        summary('bare node:http, no checks', runs.bare),
        summary('WebhookReceiver via createNodeHandler', runs.receiver),
      ],
      notes: [
        `Throughput ratio receiver/bare, per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${ratio.toFixed(2)}.`,
        `Events emitted: ${handled} of ${sent} measured requests plus the warm-up (every request distinct; none a duplicate).`,
        'CPU % is of one core, median of the rounds: a server near 100 % is the limit; autocannon near 100 % means the generator is.',
        `Server CPU per request, receiver/bare: ${(median(runs.receiver.map((r) => r.serverMicrosPerRequest)) / median(runs.bare.map((r) => r.serverMicrosPerRequest))).toFixed(2)} (the throughput ratio a CPU-bound server would show is about its inverse).`,
      ],
      targets: [
        {
          what: `receiver ≥ 0.7 × bare throughput, median of rounds (got ${ratio.toFixed(2)})`,
          met: ratio >= 0.7,
        },
      ],
    },
  ];
}

/**
 * Verified webhooks per second through the node:http adapter (size limit, HMAC-SHA1 over the raw
 * bytes, JSON parse, dedupe, async emit), next to a bare node:http server that reads the body and
 * answers 200 without checking anything. Same run, same requests, autocannon on loopback, 5 s each.
 * Target: the receiver keeps at least 0.7 of the bare server's throughput.
 *
 * Deliveries are `memberships:created` (hydrated from `data`, no REST call) with distinct ids, more
 * of them than the dedupe LRU holds, so every request is processed, none answered as a duplicate.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { createNodeHandler, encodeId, signWebexBody, WebhookReceiver } from '@herald/webex';
import type { BenchTable } from './table.js';

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

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const SECRET = 'bench-secret';
const ROUNDS = 2;
const DURATION_S = 2.5; // per round: 5 s per server in all
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

async function listen(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook` };
}

/** Rounds together: requests/s over the total time; latency percentiles as the worst round's. */
function combine(runs: AutocannonResult[]): AutocannonResult {
  const total = runs.reduce((n, r) => n + r.requests.total, 0);
  return {
    requests: { total, average: total / (runs.length * DURATION_S) },
    latency: {
      p50: Math.max(...runs.map((r) => r.latency.p50)),
      p99: Math.max(...runs.map((r) => r.latency.p99)),
    },
    non2xx: runs.reduce((n, r) => n + r.non2xx, 0),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    timeouts: runs.reduce((n, r) => n + r.timeouts, 0),
  };
}

/** Position in the pool per target URL, kept across rounds so that no round replays recent ids. */
const cursor = new Map<string, number>();

async function load(
  url: string,
  pool: Array<{ body: string; signature: string }>,
): Promise<AutocannonResult> {
  let next = cursor.get(url) ?? 0;
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
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

export default async function bench(): Promise<BenchTable[]> {
  const pool = deliveries();

  const bare = await listen((req, res) => {
    req.resume();
    req.on('end', () => {
      res.statusCode = 200;
      res.end('ok');
    });
  });

  let handled = 0;
  const noFetch = async (): Promise<never> => {
    throw new Error('memberships are not fetched');
  };
  const receiver = new WebhookReceiver({
    secret: SECRET,
    client: { messages: { get: noFetch }, attachmentActions: { get: noFetch } },
  });
  receiver.on('membership.created', () => {
    handled++;
  });
  const verified = await listen(createNodeHandler(receiver));

  // Alternate the two servers in rounds so that drift in machine load hits both alike.
  const bareRuns: AutocannonResult[] = [];
  const verifiedRuns: AutocannonResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bareRuns.push(await load(bare.url, pool));
    verifiedRuns.push(await load(verified.url, pool));
  }
  await receiver.idle();
  bare.server.close();
  verified.server.close();
  const bareResult = combine(bareRuns);
  const verifiedResult = combine(verifiedRuns);

  const ratio = verifiedResult.requests.average / bareResult.requests.average;
  const row = (name: string, r: AutocannonResult): Array<string | number> => [
    name,
    r.requests.average,
    r.latency.p50,
    r.latency.p99,
    r.requests.total,
    r.non2xx + r.errors + r.timeouts,
  ];
  return [
    {
      title: `Webhook receiver vs bare node:http (autocannon, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${DURATION_S} s each, loopback)`,
      columns: ['server', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'non-2xx/errors'],
      rows: [
        row('bare node:http, no checks', bareResult),
        row('WebhookReceiver via createNodeHandler', verifiedResult),
      ],
      notes: [
        `Throughput ratio receiver/bare: ${ratio.toFixed(2)}. Events emitted: ${handled} (every request distinct; none a duplicate).`,
        'Load generator runs in the same process as the server under test (both runs alike).',
      ],
      targets: [{ what: `receiver ≥ 0.7 × bare throughput (got ${ratio.toFixed(2)})`, met: ratio >= 0.7 }],
    },
  ];
}

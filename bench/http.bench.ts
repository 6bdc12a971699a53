/**
 * What one `POST /messages` costs the sender, by transport: a bare `fetch` loop, a bare
 * `node:http` loop (keep-alive agent), and the REST client's `messages.create` on its default
 * transport (`nodeTransport`, node:http) and on the global fetch. Four at a time, against the
 * emulator in a process of its own (remote-emulator.ts), the kinds taking turns for `ROUNDS`
 * rounds; the figures are each kind's medians. CPU is this process's (`process.cpuUsage`).
 *
 * Target: the client on its default transport spends less CPU per call than a bare fetch does.
 */
import { Agent, request } from 'node:http';
import { silentLogger, WebexClient } from '@herald/webex';
import { type BenchTable, percentile } from '../harness/table.js';
import { RemoteEmulator } from './remote-emulator.js';

const CALLS = 3000;
const CONCURRENCY = 4;
const ROUNDS = 3;
const MARKDOWN = 'Alice (alice@example.com) wrote:\n\nto everyone';

type Send = (roomId: string) => Promise<void>;

async function loop(rooms: string[], send: Send): Promise<{ perSecond: number; cpuMs: number }> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let roomId = rooms[next++]; roomId; roomId = rooms[next++]) await send(roomId);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSecond: rooms.length / seconds, cpuMs: (used.user + used.system) / 1000 / rooms.length };
}

export default async function (): Promise<BenchTable[]> {
  const emu = await RemoteEmulator.start(CALLS, 0);
  try {
    const rooms = await emu.ask<string[]>({ op: 'groups', n: CALLS });
    const url = `${emu.url}/v1/messages`;
    const headers = { authorization: 'Bearer SCALE_BOT', 'content-type': 'application/json' };
    const agent = new Agent({ keepAlive: true });
    const baseUrl = `${emu.url}/v1`;
    const client = new WebexClient({ token: 'SCALE_BOT', baseUrl, logger: silentLogger });
    const onFetch = new WebexClient({ token: 'SCALE_BOT', baseUrl, logger: silentLogger, fetch });
    const kinds: Array<[string, Send]> = [
      [
        'bare fetch',
        async (roomId) => {
          const res = await fetch(url, {
            method: 'POST',
            headers,
            body: JSON.stringify({ roomId, markdown: MARKDOWN }),
          });
          await res.arrayBuffer();
          if (!res.ok) throw new Error(`bare fetch: ${res.status}`);
        },
      ],
      [
        'bare node:http',
        (roomId) =>
          new Promise((resolve, reject) => {
            const body = JSON.stringify({ roomId, markdown: MARKDOWN });
            const req = request(
              url,
              { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
              (res) => {
                res.resume();
                res.on('end', () =>
                  res.statusCode === 200 ? resolve() : reject(new Error(`${res.statusCode}`)),
                );
              },
            );
            req.on('error', reject);
            req.end(body);
          }),
      ],
      [
        'client, default transport',
        async (roomId) => void (await client.messages.create({ roomId, markdown: MARKDOWN })),
      ],
      [
        'client on the global fetch',
        async (roomId) => void (await onFetch.messages.create({ roomId, markdown: MARKDOWN })),
      ],
    ];
    // Warm both sides: a cold emulator answers its first thousands of posts at half its speed.
    for (const [, send] of kinds) await loop(rooms, send);
    const runs = new Map<string, Array<{ perSecond: number; cpuMs: number }>>();
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? kinds : [...kinds].reverse();
      for (const [name, send] of order) {
        const r = await loop(rooms, send);
        runs.set(name, [...(runs.get(name) ?? []), r]);
      }
    }
    agent.destroy();
    const median = (name: string, pick: (r: { perSecond: number; cpuMs: number }) => number) =>
      percentile((runs.get(name) ?? []).map(pick), 50);
    const fetchCpu = median('bare fetch', (r) => r.cpuMs);
    const rows = kinds.map(([name]) => {
      const cpu = median(name, (r) => r.cpuMs);
      return [name, median(name, (r) => r.perSecond), cpu, cpu / fetchCpu];
    });
    const clientCpu = median('client, default transport', (r) => r.cpuMs);
    return [
      {
        title: `POST /messages by transport: ${CALLS} calls, ${CONCURRENCY} at a time, median of ${ROUNDS} rounds`,
        columns: ['sender', 'calls/s', 'CPU ms/call', 'CPU vs bare fetch'],
        rows,
        notes: ['CPU: the sending process only; the emulator runs in another, at a lower priority.'],
        targets: [
          {
            what: `the client on its default transport costs less CPU per call than a bare fetch (${(clientCpu / fetchCpu).toFixed(2)}×)`,
            met: clientCpu < fetchCpu,
          },
        ],
      },
    ];
  } finally {
    await emu.stop();
  }
}

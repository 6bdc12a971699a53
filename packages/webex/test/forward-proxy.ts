/**
 * A real forward proxy for tests: the `proxy` package (plain forwarding and `CONNECT` tunnels) on
 * 127.0.0.1:0, with its own log of what it was asked to carry, Basic credentials, and faults: refuse
 * `CONNECT` with a status, drop the open tunnels.
 */

import { createServer, globalAgent, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createProxy } from 'proxy';

export interface ForwardProxy {
  /** `http://user:password@127.0.0.1:port` (without credentials when none are required). */
  url: string;
  /** `http://127.0.0.1:port`: what errors and logs may show. */
  origin: string;
  /** One line per request carried: `GET http://host:port/path` or `CONNECT host:port`. */
  log: string[];
  /** Answer the next `CONNECT`s with this status (e.g. 403) instead of tunnelling; `undefined` tunnels. */
  refuseConnect: number | undefined;
  /** Destroy every open tunnel, as a proxy restarting or timing out connections does. */
  dropTunnels(): number;
  close(): Promise<void>;
}

export async function startForwardProxy(
  credentials?: { user: string; password: string } | undefined,
): Promise<ForwardProxy> {
  const server = createProxy(createServer());
  if (credentials) {
    const expected = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
    server.authenticate = (req: IncomingMessage) => req.headers['proxy-authorization'] === expected;
  }
  const log: string[] = [];
  const tunnels = new Set<Duplex>();
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // Log in front of the package's own listeners, and refuse CONNECT when told to.
  const [onRequest] = server.listeners('request') as Array<(...a: unknown[]) => void>;
  const [onConnect] = server.listeners('connect') as Array<(...a: unknown[]) => void>;
  server.removeAllListeners('request');
  server.removeAllListeners('connect');
  const p = {
    log,
    refuseConnect: undefined as number | undefined,
  };
  server.on('request', (req: IncomingMessage, res: unknown) => {
    log.push(`${req.method} ${req.url}`);
    onRequest?.call(server, req, res);
  });
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    log.push(`CONNECT ${req.url}`);
    if (p.refuseConnect !== undefined) {
      socket.end(`HTTP/1.1 ${p.refuseConnect} Refused\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    tunnels.add(socket);
    // The package pipes the destination into the client socket: keep hold of it, so that dropping
    // a tunnel closes both ends, as a proxy timing a connection out does.
    socket.once('pipe', (upstream: Duplex) => {
      tunnels.add(upstream);
      socket.once('close', () => upstream.destroy());
      upstream.once('close', () => tunnels.delete(upstream));
    });
    socket.on('close', () => tunnels.delete(socket));
    onConnect?.call(server, req, socket, head);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const url = credentials
    ? `http://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}`
    : origin;
  return Object.assign(p, {
    url,
    origin,
    dropTunnels() {
      const n = tunnels.size;
      for (const t of [...tunnels]) t.destroy();
      return n;
    },
    async close() {
      for (const t of [...tunnels]) t.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // The package forwards through Node's global agent, whose kept-alive sockets would hold the
      // destination's server open.
      globalAgent.destroy();
    },
  });
}

/** Set the proxy variables for this test process (proxy-from-env reads `process.env` per request). */
export function setProxyEnv(vars: Record<string, string | undefined>): void {
  for (const k of [
    'HTTPS_PROXY',
    'https_proxy',
    'HTTP_PROXY',
    'http_proxy',
    'ALL_PROXY',
    'all_proxy',
    'NO_PROXY',
    'no_proxy',
  ])
    delete process.env[k];
  for (const [k, v] of Object.entries(vars)) if (v !== undefined) process.env[k] = v;
}

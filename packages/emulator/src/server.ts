/**
 * `startEmulator`: one node:http server with the world and every subsystem on it — webhook
 * delivery, U2C/WDM/Mercury/KMS, then REST (/v1) and the control API (/_emulator/).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { type Logger, redact } from '@herald/webex';
import type { EmulatorContext, Subsystem } from './context.js';
import { type ControlFaults, createControl, type EmulatorControl, loadDemoSeed } from './control.js';
import { installMercury } from './mercury/index.js';
import { handleControl } from './rest/control.js';
import { installRest, type RestOptions } from './rest/index.js';
import type { Seed } from './state/types.js';
import { World } from './state/world.js';
import { installUi } from './ui/index.js';
import { type InstallWebhooksOptions, installWebhooks } from './webhooks/index.js';

export interface StartEmulatorOptions extends Omit<RestOptions, 'faults'> {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1`. */
  host?: string;
  /** Starting world: a seed object or `'demo'` (seeds/demo.json). Default: an empty world. */
  seed?: Seed | 'demo';
  /** Clock (ms since epoch) for timestamps, rate-limit buckets and holds. Default `Date.now`. */
  clock?: () => number;
  /** Seed of the id/token generator; given, ids are the same on every run. Default random. */
  randomSeed?: number;
  /** Debug log of the emulator itself. Default: silent. Fields are redacted. */
  logger?: Logger;
  /** When set, `/_emulator/` requests need `Authorization: Bearer <controlToken>`. Default unset. */
  controlToken?: string;
  /** REST faults and the shared `messageNotFoundForMs`. Default: all off. */
  faults?: ControlFaults;
  /** Webhook delivery install options (randomness, sleep). */
  webhooks?: InstallWebhooksOptions;
}

export type ServerControl = EmulatorControl & {
  webhooks: ReturnType<typeof installWebhooks>['control'];
  mercury: ReturnType<typeof installMercury>['control'];
};

export interface RunningEmulator {
  /** `http://<host>:<port>` (REST under `/v1`). */
  url: string;
  /** `ws://<host>:<port>`. */
  wsUrl: string;
  world: World;
  control: ServerControl;
  stop(): Promise<void>;
}

/** Loopback peers only (IPv4 127/8, IPv6 ::1, v4-mapped 127/8). */
function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function controlAllowed(req: IncomingMessage, controlToken: string | undefined): number | undefined {
  if (!isLoopback(req.socket.remoteAddress)) return 403;
  if (controlToken !== undefined && req.headers.authorization !== `Bearer ${controlToken}`) return 401;
  // A web page in the same browser could send a form or text/plain POST to 127.0.0.1 without a
  // CORS preflight. Writes from another origin are refused, and a write with a body must be JSON
  // (which a foreign page cannot send without a preflight that is never granted).
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== `http://${req.headers.host ?? ''}`) return 403;
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && type !== 'application/json') return 415;
  }
  return undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json;charset=UTF-8', 'Content-Length': bytes.length });
  res.end(bytes);
}

export async function startEmulator(options: StartEmulatorOptions = {}): Promise<RunningEmulator> {
  const host = options.host ?? '127.0.0.1';
  const world = new World(options.clock ?? Date.now, { randomSeed: options.randomSeed });
  if (options.seed !== undefined) world.loadSeed(options.seed === 'demo' ? loadDemoSeed() : options.seed);

  let origin = '';
  const logger = options.logger;
  const ctx: EmulatorContext = {
    world,
    baseUrl: () => origin,
    wsBaseUrl: () => origin.replace(/^http/, 'ws'),
    faults: { messageNotFoundForMs: options.faults?.messageNotFoundForMs ?? 0 },
    log: (msg, fields) => logger?.debug((redact(fields ?? {}) as Record<string, unknown>) ?? {}, msg),
  };

  const webhooks = installWebhooks(ctx, options.webhooks);
  const mercury = installMercury(ctx);
  const { faults, ...restOptions } = options;
  const rest = installRest(ctx, { ...restOptions, faults: faults && { ...faults } });
  const control: ServerControl = Object.assign(createControl(ctx, rest.control), {
    webhooks: webhooks.control,
    mercury: mercury.control,
  });
  const controlApi: Subsystem = { handle: (req, res, url) => handleControl(control, req, res, url) };
  const subsystems: Subsystem[] = [webhooks, mercury, rest, installUi(ctx, control), controlApi];
  const onReset = () => {
    for (const s of subsystems) s.reset?.();
  };
  world.events.on('reset', onReset);

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', origin || 'http://localhost');
    try {
      if (url.pathname.startsWith('/_emulator/')) {
        const refused = controlAllowed(req, options.controlToken);
        if (refused)
          return sendJson(res, refused, {
            message:
              refused === 415
                ? 'Control API writes take application/json.'
                : 'The control API is for loopback callers (same origin) with the control token.',
          });
      }
      for (const s of subsystems) {
        if (s.handle && (await s.handle(req, res, url))) return;
      }
      sendJson(res, 404, { message: `Nothing at ${url.pathname}.` });
    } catch (err) {
      ctx.log('request failed', { path: url.pathname, error: String(err) });
      if (!res.headersSent) sendJson(res, 500, { message: 'The emulator failed to handle the request.' });
      else res.destroy();
    }
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', origin || 'http://localhost');
    for (const s of subsystems) if (s.upgrade?.(req, socket, head, url)) return;
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost =
    host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  origin = `http://${shownHost}:${port}`;

  let stopped = false;
  return {
    url: origin,
    wsUrl: ctx.wsBaseUrl(),
    world,
    control,
    async stop() {
      if (stopped) return;
      stopped = true;
      world.events.off('reset', onReset);
      for (const s of [...subsystems].reverse()) await s.stop?.();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

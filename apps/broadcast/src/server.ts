/**
 * The bot's HTTP face: `/health`, `/metrics`, the webhook endpoint (verified by the receiver
 * before anything else) and a status page of recent broadcasts behind a bearer token. Nothing
 * here can register, delete or redirect webhooks (the original's `GET /webhook` could, D29).
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { NodeWebhookHandler } from '@herald/webex';
import type { BroadcastBot } from './bot.js';
import { renderMetrics } from './metrics.js';
import type { Store } from './store/store.js';

export interface ServerOptions {
  bot: BroadcastBot;
  store: Store;
  /** The webhook handler when the bot receives over webhooks. */
  webhook?: NodeWebhookHandler | undefined;
  /** Path of the webhook endpoint. Default `/webhook`. */
  webhookPath?: string | undefined;
  /** Whether the bot can receive events now; default always. */
  health?: (() => { ok: boolean; detail: string }) | undefined;
  /** Bearer token of the status page; without it the page answers 404. */
  statusToken?: string | undefined;
}

function html(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function tokenMatches(req: IncomingMessage, expected: string): boolean {
  const got = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
  const a = Buffer.from(got);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

export function createBotServer(options: ServerOptions): Server {
  const webhookPath = options.webhookPath ?? '/webhook';
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = async () => {
      if (path === webhookPath && options.webhook) {
        if (req.method !== 'POST') return send(res, 405, 'text/plain', 'method not allowed\n');
        return options.webhook(req, res);
      }
      if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed\n');
      if (path === '/health') {
        // 503 while the transport cannot deliver events (Mercury down or stopped), so that a
        // supervisor or load balancer notices; the detail names the state, nothing more.
        const h = options.health?.() ?? { ok: true, detail: 'ok' };
        return send(
          res,
          h.ok ? 200 : 503,
          'application/json',
          `${JSON.stringify({ status: h.ok ? 'ok' : 'degraded', detail: h.detail })}\n`,
        );
      }
      if (path === '/metrics') {
        const depth = await options.store.queueDepth();
        return send(res, 200, 'text/plain; version=0.0.4', renderMetrics(options.bot.metrics, depth));
      }
      if (path === '/status' && options.statusToken) {
        if (!tokenMatches(req, options.statusToken)) {
          res.setHeader('www-authenticate', 'Bearer');
          return send(res, 401, 'text/plain', 'unauthorized\n');
        }
        const rows = await options.store.recentBroadcasts(50);
        const body = rows
          .map(
            (r) =>
              `<tr><td>${html(new Date(r.created_at).toISOString())}</td><td>${html(r.status)}</td><td>${r.total}</td><td>${r.sent}</td><td>${r.failed}</td><td>${r.pending + r.sending}</td></tr>`,
          )
          .join('');
        return send(
          res,
          200,
          'text/html; charset=utf-8',
          `<!doctype html><meta charset="utf-8"><title>Herald status</title><h1>Recent broadcasts</h1><table><tr><th>received</th><th>status</th><th>spaces</th><th>sent</th><th>failed</th><th>pending</th></tr>${body}</table>`,
        );
      }
      return send(res, 404, 'text/plain', 'not found\n');
    };
    route().catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
    });
  });
}

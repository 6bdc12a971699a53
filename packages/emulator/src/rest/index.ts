/**
 * The /v1 REST subsystem: auth, routing, faults, rate limits, the request log and Webex's error
 * bodies around the resource handlers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext, Subsystem } from '../context.js';
import { EmulatorHttpError } from '../state/world.js';
import { attachmentRoutes } from './attachments.js';
import { contentRoutes } from './contents.js';
import type { RestEnv, Route } from './env.js';
import { type RestFaultOptions, RestFaults } from './faults.js';
import {
  errorReply,
  errorToReply,
  parseJsonObject,
  type Reply,
  type RestRequest,
  readBody,
  trackingIdOf,
  writeReply,
} from './http.js';
import { membershipRoutes } from './memberships.js';
import { messageRoutes } from './messages.js';
import { peopleRoutes } from './people.js';
import { RateLimiter, type RateLimitOptions } from './ratelimit.js';
import { RequestLog } from './requestlog.js';
import { roomRoutes } from './rooms.js';
import { webhookRoutes } from './webhooks.js';

export interface RestOptions {
  /** Largest JSON body accepted (bytes); larger answers 413. Default 1 MiB. */
  maxJsonBytes?: number;
  /** Largest multipart upload accepted (bytes); larger answers 413. Default 25 MiB (Webex allows 100 MB, docs/protocol.md §7.4). */
  maxUploadBytes?: number;
  /** Token buckets; all off by default. */
  rateLimits?: RateLimitOptions;
  /** Injected faults; all off by default. */
  faults?: RestFaultOptions;
}

export interface RestControl {
  readonly log: RequestLog;
  readonly limiter: RateLimiter;
  readonly faults: RestFaults;
}

const ROUTES: Route[] = [
  ...peopleRoutes,
  ...roomRoutes,
  ...membershipRoutes,
  ...messageRoutes,
  ...attachmentRoutes,
  ...webhookRoutes,
  ...contentRoutes,
];

function match(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith('{')) {
      if (g === '') return undefined;
      params[w.slice(1, -1)] = decodeURIComponent(g);
    } else if (w !== g) return undefined;
  }
  return params;
}

function bearer(req: IncomingMessage): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

export function installRest(
  ctx: EmulatorContext,
  options: RestOptions = {},
): Subsystem & { control: RestControl } {
  const maxJsonBytes = options.maxJsonBytes ?? 1024 * 1024;
  const limiter = new RateLimiter(() => ctx.world.now());
  const faults = new RestFaults();
  const log = new RequestLog();
  if (options.rateLimits) limiter.configure(options.rateLimits);
  if (options.faults) faults.configure(options.faults);
  const env: RestEnv = {
    world: ctx.world,
    ctx,
    limiter,
    faults,
    maxUploadBytes: options.maxUploadBytes ?? 25 * 1024 * 1024,
  };

  async function serve(
    req: IncomingMessage,
    url: URL,
    trackingId: string,
    person: { id?: string },
  ): Promise<Reply> {
    const token = bearer(req);
    const me = token === undefined ? undefined : ctx.world.personByToken(token);
    if (!token || !me) {
      return errorReply(
        401,
        'The request requires a valid access token set in the Authorization request header.',
        trackingId,
      );
    }
    person.id = me.id;
    // A trailing slash names the same collection: both SDK majors' people batcher lists
    // `GET /v1/people/?id=...` (plugin-people people-batcher.js, `resource: 'people/'`).
    const path = url.pathname.slice('/v1'.length).replace(/(.)\/$/, '$1') || '/';
    const fault = faults.draw(path);
    if (fault !== undefined)
      return errorReply(
        fault,
        'Injected server error (emulator fault).',
        trackingId,
        fault === 503 ? 1 : undefined,
      );
    // HEAD is GET without the body (§7.6 HEAD on contents; harmless elsewhere).
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    let pathMatched = false;
    for (const route of ROUTES) {
      const params = match(route.pattern, path);
      if (!params) continue;
      pathMatched = true;
      if (route.method !== method) continue;
      if (method === 'GET') limiter.take('read', token);
      let raw: Promise<Buffer> | undefined;
      const isMultipart = /^multipart\/form-data/i.test(String(req.headers['content-type'] ?? ''));
      const body = () => {
        raw ??= readBody(req, isMultipart ? env.maxUploadBytes : maxJsonBytes);
        return raw;
      };
      const request: RestRequest = {
        method,
        url,
        params,
        me,
        token,
        headers: req.headers,
        body,
        json: async () => parseJsonObject(await body()),
      };
      return await route.handler(request, env);
    }
    // A literal segment like /messages/direct is matched before /messages/{id} by route order.
    if (pathMatched)
      return errorReply(405, `Method ${req.method} is not supported on this resource.`, trackingId);
    return errorReply(404, 'The requested resource could not be found.', trackingId);
  }

  return {
    control: { log, limiter, faults },
    async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
      if (url.pathname !== '/v1' && !url.pathname.startsWith('/v1/')) return false;
      const trackingId = trackingIdOf(req);
      const person: { id?: string } = {};
      if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
      let reply: Reply;
      try {
        reply = await serve(req, url, trackingId, person);
      } catch (err) {
        if (!(err instanceof EmulatorHttpError))
          ctx.log('rest handler failed', { path: url.pathname, error: String(err) });
        reply = errorToReply(err, trackingId);
      }
      if (faults.omitRetryAfter && reply.headers) delete reply.headers['Retry-After'];
      // Drain an unread request body so the connection can be reused.
      if (!req.readableEnded) req.resume();
      writeReply(res, reply, trackingId, req.method === 'HEAD');
      log.add({
        method: req.method ?? 'GET',
        path: url.pathname + url.search,
        status: reply.status,
        personId: person.id,
        time: ctx.world.nowIso(),
      });
      return true;
    },
    reset() {
      limiter.reset();
      log.clear();
    },
  };
}

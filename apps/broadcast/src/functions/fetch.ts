/**
 * Web-standard entry (`Request` → `Response`) for runtimes with the Fetch API. `POST` to any path
 * is the webhook; `GET /health` answers ok. Drains run from the runtime's scheduler through
 * `drain()`, and promptly after a webhook through the request's `waitUntil` (where the runtime
 * gives one, the drain goes on after the answer) or the `kick` given here.
 */
import type { DrainReport, FunctionCore, Kick } from './core.js';
import { coreFromEnv } from './env.js';

/** What runtimes such as Cloudflare Workers and Vercel pass beside the request. */
export interface FetchContext {
  waitUntil?(promise: Promise<unknown>): void;
}

export interface FetchEntryOptions {
  /** The core; default one made from `process.env` on the first request. */
  core?: (() => FunctionCore) | undefined;
  /** Starts a drain where the runtime gives no `waitUntil` (e.g. a call to a queue). */
  kick?: Kick | undefined;
}

export interface FetchBot {
  fetch(request: Request, context?: FetchContext): Promise<Response>;
  /** A drain of `budgetMs` (default `HERALD_DRAIN_BUDGET_MS`); call it from the runtime's scheduler. */
  drain(budgetMs?: number): Promise<DrainReport>;
}

export function createFetchBot(options: FetchEntryOptions = {}): FetchBot {
  const core = options.core ?? coreFromEnv();
  const drain = (budgetMs?: number) => core().drain(budgetMs ?? core().settings.drainBudgetMs, options.kick);
  return {
    drain,
    async fetch(request, context) {
      if (request.method === 'GET' && new URL(request.url).pathname === '/health') {
        return new Response('{"status":"ok"}\n', { headers: { 'content-type': 'application/json' } });
      }
      const waitUntil = context?.waitUntil?.bind(context);
      const kick: Kick | undefined = waitUntil
        ? () => waitUntil(drain().catch(() => undefined))
        : options.kick;
      return core().fetchWebhook(request, kick);
    },
  };
}

/**
 * Web-standard adapter: `(Request) => Promise<Response>` for Hono (`app.post('/webhook', (c) =>
 * handler(c.req.raw))`), Deno, Bun, and serverless runtimes with the Fetch API.
 */
import { readStreamWithin } from '../../http.js';
import type { WebhookReceiver } from '../receiver.js';

export interface FetchHandlerOptions {
  /**
   * Answer only after the delivery was processed. Turn on where work after the answer may be cut
   * off (some serverless runtimes). Default false: answer at once, process in the background.
   */
  awaitProcessing?: boolean | undefined;
}

export type FetchWebhookHandler = (request: Request) => Promise<Response>;

export function createFetchHandler(
  receiver: WebhookReceiver,
  options: FetchHandlerOptions = {},
): FetchWebhookHandler {
  const awaitProcessing = options.awaitProcessing ?? false;
  return async (request) => {
    if (request.method !== 'POST') return text(405, 'method not allowed', { allow: 'POST' });
    const declared = Number(request.headers.get('content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared > receiver.maxBodyBytes) return tooLarge(request);
    let body: Uint8Array | undefined;
    try {
      body = await readLimited(request, receiver.maxBodyBytes);
    } catch {
      return text(400, 'unreadable body');
    }
    if (!body) return tooLarge(request);
    const answer = await receiver.handle({ headers: request.headers, rawBody: body });
    if (awaitProcessing) await answer.processed;
    return text(answer.status, answer.body);
  };
}

function readLimited(request: Request, limit: number): Promise<Uint8Array | undefined> {
  if (!request.body) return Promise.resolve(new Uint8Array(0));
  return readStreamWithin(request.body, limit);
}

function tooLarge(request: Request): Response {
  request.body?.cancel().catch(() => {});
  return text(413, 'payload too large', { connection: 'close' });
}

function text(status: number, body: string, extra: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...extra } });
}

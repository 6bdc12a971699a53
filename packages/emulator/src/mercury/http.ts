/** Small HTTP helpers for the Mercury subsystem's routes (U2C, WDM, KMS, control). */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest request body accepted (bytes). KMS batches are a few KB. */
export const MAX_BODY_BYTES = 256 * 1024;

export class RouteError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body?: unknown): void {
  const trackingId = `EMU_${randomUUID()}`;
  res.setHeader('TrackingID', trackingId);
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/** Webex's error body (docs/protocol.md §7.1: `message`, `errors[].description`, `trackingId`). */
export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { message, errors: [{ description: message }], trackingId: `EMU_${randomUUID()}` });
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY_BYTES) throw new RouteError(413, 'Request body too large.');
    chunks.push(b);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new RouteError(400, 'Request body is not JSON.');
  }
}

/** The bearer token of a request, or undefined. */
export function bearer(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)$/i.exec(h.trim());
  return m?.[1];
}

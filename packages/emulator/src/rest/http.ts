/**
 * The REST subsystem's request/reply types and the node:http plumbing under them: body reading
 * with a size limit, Webex's error body and tracking ids.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Person } from '../state/types.js';
import { EmulatorHttpError } from '../state/world.js';

export interface Reply {
  status: number;
  /** JSON body. */
  json?: unknown;
  /** Raw body (contents). */
  bytes?: Buffer;
  headers?: Record<string, string | number>;
}

export interface RestRequest {
  method: string;
  url: URL;
  /** Path parameters from the route (`{id}`). */
  params: Record<string, string>;
  /** The caller (REST answers 401 before any handler runs when there is none). */
  me: Person;
  /** The caller's bearer token (for rate-limit keys; never logged). */
  token: string;
  headers: IncomingMessage['headers'];
  /** The raw body, read once, up to the limit (413 beyond). */
  body(): Promise<Buffer>;
  /** The body parsed as a JSON object (400 when it is not one). */
  json(): Promise<Record<string, unknown>>;
}

/** Read a request body, refusing more than `limit` bytes with 413. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (declared > limit) {
      reject(new EmulatorHttpError(413, `Request body is larger than ${limit} bytes.`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new EmulatorHttpError(413, `Request body is larger than ${limit} bytes.`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

export function parseJsonObject(raw: Buffer): Record<string, unknown> {
  // docs/protocol.md §7.1: CAP-CURL shows "Required request body is missing" for an empty POST body.
  if (raw.length === 0) throw new EmulatorHttpError(400, 'Required request body is missing');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new EmulatorHttpError(400, 'The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new EmulatorHttpError(400, 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

/** §7.1 decision: echo the client's `trackingid` header, else mint `EMU_<uuid>`. */
export function trackingIdOf(req: IncomingMessage): string {
  const given = req.headers.trackingid;
  const value = Array.isArray(given) ? given[0] : given;
  return value && value.length <= 200 && /^[\x21-\x7e]+$/.test(value) ? value : `EMU_${randomUUID()}`;
}

/** Webex's error body (§7.1): `{message, errors: [{description}], trackingId}`. */
export function errorReply(status: number, message: string, trackingId: string, retryAfter?: number): Reply {
  const headers: Record<string, string | number> = {};
  if (retryAfter !== undefined) headers['Retry-After'] = retryAfter;
  return { status, json: { message, errors: [{ description: message }], trackingId }, headers };
}

export function writeReply(res: ServerResponse, reply: Reply, trackingId: string, head: boolean): void {
  const headers: Record<string, string | number> = { TrackingID: trackingId, ...reply.headers };
  let body: Buffer | undefined;
  if (reply.status === 204) {
    body = undefined;
  } else if (reply.bytes) {
    body = reply.bytes;
  } else if (reply.json !== undefined) {
    body = Buffer.from(JSON.stringify(reply.json), 'utf8');
    headers['Content-Type'] = 'application/json;charset=UTF-8';
  }
  if (body) headers['Content-Length'] ??= body.length;
  res.writeHead(reply.status, headers);
  res.end(head ? undefined : body);
}

export function errorToReply(err: unknown, trackingId: string): Reply {
  if (err instanceof EmulatorHttpError)
    return errorReply(err.status, err.message, trackingId, err.retryAfter);
  return errorReply(500, 'The emulator failed to handle the request.', trackingId);
}

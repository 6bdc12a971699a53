/** What every REST handler gets besides the request, and small body-field helpers. */
import type { EmulatorContext } from '../context.js';
import { EmulatorHttpError, type World } from '../state/world.js';
import type { RestFaults } from './faults.js';
import type { Reply, RestRequest } from './http.js';
import type { RateLimiter } from './ratelimit.js';

export interface RestEnv {
  world: World;
  ctx: EmulatorContext;
  limiter: RateLimiter;
  faults: RestFaults;
  /** Largest multipart upload accepted (bytes). */
  maxUploadBytes: number;
}

export type Handler = (req: RestRequest, env: RestEnv) => Reply | Promise<Reply>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path under /v1 with `{name}` segments, e.g. `/messages/{id}`. */
  pattern: string;
  handler: Handler;
}

/** An optional string field; 400 when present and not a string. */
export function optString(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new EmulatorHttpError(400, `${field} must be a string.`);
  return v;
}

export function reqString(body: Record<string, unknown>, field: string): string {
  const v = optString(body, field);
  if (v === undefined || v === '') throw new EmulatorHttpError(400, `${field} is required.`);
  return v;
}

export function optBool(body: Record<string, unknown>, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new EmulatorHttpError(400, `${field} must be a boolean.`);
  return v;
}

export const ok = (json: unknown): Reply => ({ status: 200, json });
export const noContent = (): Reply => ({ status: 204 });

/** Small helpers shared by the resources: argument checks, per-call options, query and body fields. */
import { InvalidArgumentError } from '../../errors.js';
import type { CallOptions, WriteCallOptions } from '../options.js';
import type { QueryValue, RequestSpec } from '../pipeline.js';

/** A path segment from an id; refuses empty or non-string ids (`GET /rooms/` would list rooms). */
export function idSegment(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidArgumentError(`${name} must be a non-empty string`);
  }
  return encodeURIComponent(value);
}

/** Throws unless `value` is a non-empty string. */
export function requireString(name: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') throw new InvalidArgumentError(`${name} is required`);
}

/** Throws unless exactly one of the named fields is set. */
export function exactlyOne(what: string, fields: Record<string, unknown>): void {
  const given = Object.entries(fields).filter(([, v]) => v !== undefined && v !== null && v !== '');
  if (given.length !== 1) {
    const names = Object.keys(fields).join(', ');
    throw new InvalidArgumentError(
      given.length === 0
        ? `${what}: give one of ${names}`
        : `${what}: give only one of ${names} (got ${given.map(([k]) => k).join(' and ')})`,
    );
  }
}

/** The per-call part of a request spec. */
export function callSpec(options: CallOptions | WriteCallOptions | undefined): Partial<RequestSpec> {
  return {
    signal: options?.signal,
    timeoutMs: options?.timeoutMs,
    idempotent: (options as WriteCallOptions | undefined)?.idempotent,
  };
}

/** Copy only the defined fields of `body` (so that absent options are not sent as `null`). */
export function defined<T extends object>(body: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(body)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** The query parameters of a list call: the named fields of `params`, in that order, and no others. */
export function queryOf<K extends string>(
  params: Partial<Record<K, QueryValue>>,
  keys: readonly K[],
): Record<string, QueryValue> {
  const query: Record<string, QueryValue> = {};
  for (const key of keys) query[key] = params[key];
  return query;
}

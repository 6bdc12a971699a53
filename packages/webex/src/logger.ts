/**
 * The logger the library writes to. Shaped like pino's (`logger.warn({ fields }, 'message')`) so a
 * pino instance can be passed as is; the default is silent. The library has no logging dependency.
 * Nothing the library logs contains a token, a secret, a key or a message body.
 */
export interface Logger {
  debug(fields: Record<string, unknown>, msg: string): void;
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}

const noop = (): void => {};

/** The default: drops everything. */
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

const SECRET_KEYS = /^(authorization|token|access_?token|secret|password|key|jwk|k|cookie)$/i;

/**
 * A copy of `value` with the values of secret-looking keys replaced by `[redacted]` and bearer
 * tokens inside strings masked. For log fields built from outside data.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[…]';
  if (typeof value === 'string') return value.replace(/Bearer\s+[A-Za-z0-9._~+/=-]+/g, 'Bearer [redacted]');
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = SECRET_KEYS.test(k) ? '[redacted]' : redact(v, depth + 1);
    return out;
  }
  return value;
}

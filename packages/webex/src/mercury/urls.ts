/**
 * The allow-list for URLs the server hands us (U2C links, WDM `webSocketUrl`, `encryptionServiceUrl`,
 * KMS cluster). A hostile or spoofed answer must not make the library send the bearer token, or open a
 * socket, anywhere else (docs/protocol.md §2.4: 3R's `validateWebexUrl`, the SDK's
 * `COMMERCIAL_ALLOWED_DOMAINS`).
 */
import { UrlNotAllowedError } from '../errors.js';

/** Webex domains: the bare domain or any sub-domain. */
export const WEBEX_DOMAINS: readonly string[] = ['wbx2.com', 'webex.com', 'ciscospark.com', 'webexapis.com'];

export type UrlScheme = 'https:' | 'wss:' | 'kms:';

export interface UrlPolicy {
  /**
   * Origins allowed besides the Webex domains, e.g. the emulator's `http://127.0.0.1:8787`. A listed
   * `http:` origin also allows `ws:` on the same host and port (and `https:` allows `wss:`); a listed
   * host also allows `kms://<host>`. Compared exactly, after URL normalisation.
   */
  allowedOrigins: readonly string[];
}

function twin(protocol: string): string | undefined {
  return { 'http:': 'ws:', 'ws:': 'http:', 'https:': 'wss:', 'wss:': 'https:' }[protocol];
}

/** Normalise the configured origins once. Invalid entries throw (a configuration error). */
export function compileUrlPolicy(allowedOrigins: readonly string[] = []): UrlPolicy {
  const out = new Set<string>();
  for (const o of allowedOrigins) {
    const u = new URL(o);
    out.add(`${u.protocol}//${u.host}`);
    const t = twin(u.protocol);
    if (t) out.add(`${t}//${u.host}`);
    out.add(`kms://${u.host}`);
    out.add(`kms://${u.hostname}`);
  }
  return { allowedOrigins: [...out] };
}

/** True when `host` is a Webex domain or a sub-domain of one. */
export function isWebexHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return WEBEX_DOMAINS.some((d) => h === d || h.endsWith(`.${d}`));
}

/**
 * Check a server-sent URL. It must parse, carry no credentials, and either use `scheme` on a Webex
 * domain (default port) or belong to an explicitly allowed origin. Throws `UrlNotAllowedError`.
 */
export function assertAllowedUrl(url: unknown, scheme: UrlScheme, policy: UrlPolicy): string {
  if (typeof url !== 'string' || url.length > 2048) throw new UrlNotAllowedError(String(url));
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UrlNotAllowedError(url);
  }
  if (u.username || u.password) throw new UrlNotAllowedError(url);
  const origin = `${u.protocol}//${u.host}`;
  if (policy.allowedOrigins.includes(origin)) return url;
  if (u.protocol === scheme && isWebexHost(u.hostname) && (u.port === '' || scheme === 'kms:')) return url;
  throw new UrlNotAllowedError(url);
}

/**
 * `@herald/webex/proxy`: the library's traffic through a corporate HTTP proxy, configured the way
 * every other tool on the machine is: `HTTPS_PROXY`, `HTTP_PROXY` (and `ALL_PROXY`) and `NO_PROXY`,
 * upper or lower case.
 *
 * The rules (which variable serves which scheme, `NO_PROXY` suffixes, ports and `*`) are
 * `proxy-from-env`'s, applied per destination: the REST base, U2C, WDM, KMS, file URLs and the
 * Mercury host can each be proxied or not. Fetch goes through undici's `ProxyAgent` (`CONNECT` for
 * https destinations, plain forwarding for http ones); the Mercury WebSocket upgrade goes through
 * `https-proxy-agent`, which always tunnels with `CONNECT`. These three packages are optional peer
 * dependencies of `@herald/webex`: install them to use this module.
 *
 * Undici's `fetch` comes with the dispatcher: a dispatcher made by one copy of undici does not fit
 * the `fetch` of another (Node's built-in fetch bundles its own undici), so the library is given both.
 */
import type { ClientRequest, Agent as HttpAgent } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { InvalidArgumentError, ProxyError } from './errors.js';

/** What the library takes: `new WebexClient({ fetch })`, `new WebexMessageHandler({ proxy })`. */
export interface EnvProxy {
  /** undici's fetch with `dispatcher`; refusals of the proxy reject with `ProxyError`. */
  fetch: typeof globalThis.fetch;
  /** An undici `Dispatcher` that picks the proxy (or none) per request, for undici's own fetch. */
  dispatcher: unknown;
  /** The agent for a WebSocket URL's upgrade, or `undefined` when that host goes direct. */
  agent: (url: string) => HttpAgent | undefined;
  /** The proxy a URL goes through, as an origin without credentials (for logs); `undefined` when direct. */
  proxyFor: (url: string) => string | undefined;
  /** Close the proxies' pooled connections. */
  close(): Promise<void>;
}

/** Variables `proxy-from-env` reads (each upper or lower case); `NO_PROXY` only narrows them. */
const PROXY_VARIABLES = ['https_proxy', 'http_proxy', 'all_proxy'] as const;

/** `http://user:pass@proxy:3128/` → `http://proxy:3128`: what logs and errors may show. */
export function redactProxyUrl(proxy: string): string {
  try {
    const u = new URL(proxy);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(invalid proxy URL)';
  }
}

/** proxy-from-env keys variables by scheme; a WebSocket URL is looked up as its HTTP twin. */
function httpTwin(url: string): string {
  return url.replace(/^ws(s?):/i, 'http$1:');
}

/**
 * undici reports a proxy's refusal only in its message: "Proxy response (403) !== 200 when HTTP
 * Tunneling" for a `CONNECT`, "Proxy Authentication Required (407)" for a forwarded request.
 */
function tunnelRefusal(err: unknown): number | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const m = /Proxy (?:response|Authentication Required) \((\d{3})\)/.exec(e.message);
    if (m) return Number(m[1]);
  }
  return undefined;
}

function target(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

/**
 * Proxy options from `process.env` (read again at each request), or `undefined` when no proxy
 * variable is set (nothing is loaded then). Throws `InvalidArgumentError` naming the variable (never its value, which may hold
 * credentials) when one is not a URL, and when the peer dependencies are missing.
 */
export async function proxyFromEnv(): Promise<EnvProxy | undefined> {
  const env = process.env;
  const set = PROXY_VARIABLES.flatMap((k) => [k, k.toUpperCase()]).filter((k) => env[k]);
  if (set.length === 0) return undefined;
  for (const name of set) {
    const value = env[name] ?? '';
    // A value without a scheme is taken as http:// (see `proxyOf`).
    try {
      new URL(value.includes('://') ? value : `http://${value}`);
    } catch {
      throw new InvalidArgumentError(
        `${name} is not a proxy URL (expected http://[user:password@]host:port)`,
      );
    }
  }
  let undici: Pick<typeof import('undici'), 'Agent' | 'ProxyAgent' | 'Dispatcher' | 'fetch'>;
  let HttpsProxyAgent: typeof import('https-proxy-agent').HttpsProxyAgent;
  let getProxyForUrl: (url: string) => string;
  try {
    undici = await import('undici');
    ({ HttpsProxyAgent } = await import('https-proxy-agent'));
    ({ getProxyForUrl } = await import('proxy-from-env'));
  } catch {
    throw new InvalidArgumentError(
      'a proxy is set in the environment, and @herald/webex/proxy needs its optional peer dependencies: npm install undici@6 https-proxy-agent@7 proxy-from-env@2',
    );
  }
  const proxyOf = (url: string): string => {
    const proxy = getProxyForUrl(httpTwin(url));
    // proxy-from-env gives a value without a scheme the destination's scheme (TLS to the proxy for
    // an https destination); curl and most tools take it as http://, and so do we.
    const bare = /^https:\/\/(.*)$/.exec(proxy)?.[1];
    const written = PROXY_VARIABLES.flatMap((k) => [env[k], env[k.toUpperCase()]]);
    return bare !== undefined && written.includes(bare) ? `http://${bare}` : proxy;
  };

  const direct = new undici.Agent();
  const proxyAgents = new Map<string, InstanceType<typeof undici.ProxyAgent>>();
  const viaProxy = (proxy: string) => {
    let agent = proxyAgents.get(proxy);
    if (!agent) {
      // proxyTunnel false: an http:// destination is forwarded (the proxy sees each request), an
      // https:// one is tunnelled with CONNECT, as curl does.
      agent = new undici.ProxyAgent({ uri: proxy, proxyTunnel: false });
      proxyAgents.set(proxy, agent);
    }
    return agent;
  };

  /** Chooses per request, so a redirect to another host follows that host's rule. */
  class EnvDispatcher extends undici.Dispatcher {
    override dispatch(
      options: import('undici').Dispatcher.DispatchOptions,
      handler: import('undici').Dispatcher.DispatchHandlers,
    ): boolean {
      const proxy = proxyOf(new URL(options.path, options.origin ?? undefined).href);
      return (proxy ? viaProxy(proxy) : direct).dispatch(options, handler);
    }
    override async close(): Promise<void> {
      await Promise.all([direct.close(), ...[...proxyAgents.values()].map((a) => a.close())]);
    }
    override async destroy(): Promise<void> {
      await Promise.all([direct.destroy(), ...[...proxyAgents.values()].map((a) => a.destroy())]);
    }
  }
  const dispatcher = new EnvDispatcher();

  const proxiedFetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const method = init?.method ?? 'GET';
    const refused = (status: number, proxy: string) =>
      new ProxyError({ proxy: redactProxyUrl(proxy), status, method, target: target(url) });
    try {
      const init2 = { ...(init as import('undici').RequestInit), dispatcher };
      return (await undici.fetch(url, init2)) as unknown as Response;
    } catch (err) {
      const status = tunnelRefusal(err);
      const proxy = proxyOf(url);
      if (status !== undefined && proxy) throw refused(status, proxy);
      throw err;
    }
  };

  /**
   * On a refused CONNECT, https-proxy-agent hands `ws` the proxy's response, which would pass for
   * Mercury's own answer to the upgrade (a 403 for "token not entitled"); fail with `ProxyError`.
   */
  class RefusalAwareAgent extends HttpsProxyAgent<string> {
    override async connect(
      req: ClientRequest,
      opts: Parameters<InstanceType<typeof HttpsProxyAgent>['connect']>[1],
    ): Promise<Socket> {
      let status = 200;
      req.once('proxyConnect', (res: { statusCode: number }) => {
        status = res.statusCode;
      });
      // https-proxy-agent starts TLS inside the tunnel without the host, so Node would check the
      // certificate of an IP-address destination against "localhost": check it against the address.
      const host = opts.host;
      const tlsOpts =
        opts.secureEndpoint && host && isIP(host) && !('checkServerIdentity' in opts)
          ? {
              ...opts,
              checkServerIdentity: (_: string, cert: PeerCertificate) => checkServerIdentity(host, cert),
            }
          : opts;
      const socket = await super.connect(req, tlsOpts);
      if (status !== 200) {
        socket.destroy();
        throw new ProxyError({
          proxy: redactProxyUrl(this.proxy.href),
          status,
          method: 'CONNECT',
          target: `${opts.host}:${opts.port}`,
        });
      }
      return socket;
    }
  }
  const wsAgents = new Map<string, RefusalAwareAgent>();
  const agent = (url: string): HttpAgent | undefined => {
    const proxy = proxyOf(url);
    if (!proxy) return undefined;
    let a = wsAgents.get(proxy);
    if (!a) {
      a = new RefusalAwareAgent(proxy);
      wsAgents.set(proxy, a);
    }
    return a;
  };

  return {
    fetch: proxiedFetch as unknown as typeof globalThis.fetch,
    dispatcher,
    agent,
    proxyFor: (url) => {
      const p = proxyOf(url);
      return p ? redactProxyUrl(p) : undefined;
    },
    async close() {
      for (const a of wsAgents.values()) a.destroy();
      await dispatcher.close();
    },
  };
}

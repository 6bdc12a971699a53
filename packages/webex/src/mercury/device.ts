/**
 * `DeviceManager`: U2C discovery and the WDM device (docs/protocol.md §2).
 *
 * It reuses its own earlier registration — matched by `name` + `deviceType`, as 3R does (§2.2) —
 * instead of piling up devices, and on 403 ("excessive device registrations") deletes its own devices
 * (never anyone else's) and retries once. Every URL the server returns is allow-listed (§2.4).
 */
import { AuthError, WebexApiError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { type HttpOptions, requestJson } from './http.js';
import { assertAllowedUrl, type UrlPolicy } from './urls.js';

/** §2.1: the default U2C base (SDK `U2C_SERVICE_URL`). */
export const DEFAULT_U2C_URL = 'https://u2c.wbx2.com/u2c/api/v1';
/** §2.1: 3R's fallback when U2C does not answer. */
export const FALLBACK_WDM_URL = 'https://wdm-a.wbx2.com/wdm/api/v1';

export interface Registration {
  /** Device URL (refresh, unregister, KMS `clientId`). */
  url: string;
  webSocketUrl: string;
  /** Raw UUID of the token owner. */
  userId: string;
  encryptionServiceUrl: string;
  /** U2C `hydra` link, when the catalog had one. */
  restBase: string | undefined;
}

export interface DeviceManagerOptions {
  http: HttpOptions;
  /** U2C base, e.g. `https://u2c.wbx2.com/u2c/api/v1`. */
  u2cUrl: string;
  urlPolicy: UrlPolicy;
  /** Stable device name used to find our own registration again. Default `herald-webex`. */
  deviceName?: string;
  logger?: Logger;
}

interface WdmDevice {
  url?: unknown;
  webSocketUrl?: unknown;
  userId?: unknown;
  name?: unknown;
  deviceType?: unknown;
  services?: Record<string, unknown>;
}

const DEVICE_TYPE = 'DESKTOP';

export class DeviceManager {
  private readonly opts: DeviceManagerOptions;
  private readonly name: string;
  private readonly log: Logger;
  private wdmBase: string | undefined;
  private links: Record<string, string> = {};
  private current: Registration | undefined;

  constructor(opts: DeviceManagerOptions) {
    this.opts = opts;
    this.name = opts.deviceName ?? 'herald-webex';
    this.log = opts.logger ?? silentLogger;
  }

  get registration(): Registration | undefined {
    return this.current;
  }

  private body(): Record<string, string> {
    // §2.2 (3R's body, with our own name).
    return {
      deviceName: this.name,
      deviceType: DEVICE_TYPE,
      localizedModel: 'nodejs',
      model: 'nodejs',
      name: this.name,
      systemName: this.name,
      systemVersion: '1.0.0',
    };
  }

  /** §2.1: the WDM base from U2C; falls back to `wdm-a` unless the token was refused. */
  async discover(): Promise<string> {
    if (this.wdmBase) return this.wdmBase;
    const u2c = this.opts.u2cUrl.replace(/\/+$/, '');
    try {
      const { body } = await requestJson<{ serviceLinks?: Record<string, unknown> }>(
        this.opts.http,
        'GET',
        `${u2c}/catalog?format=hostmap`,
      );
      const links = body?.serviceLinks ?? {};
      for (const [k, v] of Object.entries(links)) if (typeof v === 'string') this.links[k] = v;
      this.wdmBase = assertAllowedUrl(links.wdm, 'https:', this.opts.urlPolicy).replace(/\/+$/, '');
    } catch (err) {
      if (err instanceof AuthError) throw err;
      this.log.warn({ err: (err as Error).message }, 'u2c: discovery failed, using the default WDM host');
      this.wdmBase = FALLBACK_WDM_URL;
    }
    return this.wdmBase;
  }

  /** The U2C `hydra` link (REST base), when discovered and allowed. */
  restBase(): string | undefined {
    const h = this.links.hydra;
    try {
      return h ? assertAllowedUrl(h, 'https:', this.opts.urlPolicy).replace(/\/+$/, '') : undefined;
    } catch {
      return undefined;
    }
  }

  private toRegistration(d: WdmDevice): Registration {
    const url = assertAllowedUrl(d.url, 'https:', this.opts.urlPolicy);
    const webSocketUrl = assertAllowedUrl(d.webSocketUrl, 'wss:', this.opts.urlPolicy);
    const enc = d.services?.encryptionServiceUrl ?? this.links.encryption;
    const encryptionServiceUrl = assertAllowedUrl(enc, 'https:', this.opts.urlPolicy);
    if (typeof d.userId !== 'string' || !/^[0-9a-fA-F-]{36}$/.test(d.userId)) {
      throw new WebexApiError({
        status: 502,
        method: 'POST',
        path: '/devices',
        message: 'WDM answer has no userId',
      });
    }
    return { url, webSocketUrl, userId: d.userId, encryptionServiceUrl, restBase: this.restBase() };
  }

  private async list(): Promise<WdmDevice[]> {
    const base = await this.discover();
    const { body } = await requestJson<{ devices?: WdmDevice[] }>(this.opts.http, 'GET', `${base}/devices`);
    return Array.isArray(body?.devices) ? body.devices : [];
  }

  private isOurs(d: WdmDevice): boolean {
    return d.name === this.name && d.deviceType === DEVICE_TYPE && typeof d.url === 'string';
  }

  /** Register (or reuse our earlier registration). */
  async register(): Promise<Registration> {
    const base = await this.discover();
    for (const d of await this.list()) {
      if (!this.isOurs(d)) continue;
      try {
        const url = assertAllowedUrl(d.url, 'https:', this.opts.urlPolicy);
        const { body } = await requestJson<WdmDevice>(this.opts.http, 'PUT', url, this.body());
        this.current = this.toRegistration(body);
        this.log.info({}, 'wdm: reused the existing device registration');
        return this.current;
      } catch (err) {
        if (err instanceof AuthError) throw err;
        this.log.debug({ err: (err as Error).message }, 'wdm: reuse failed, creating a device');
      }
      break;
    }
    const create = () =>
      requestJson<WdmDevice>(
        this.opts.http,
        'POST',
        `${base}/devices?includeUpstreamServices=all`,
        this.body(),
      );
    try {
      this.current = this.toRegistration((await create()).body);
    } catch (err) {
      if (!(err instanceof WebexApiError) || err.status !== 403) throw err;
      // §2.3: too many devices. Delete our own (by name + type), then retry once.
      const reaped = await this.reap();
      this.log.warn({ reaped }, 'wdm: excessive device registrations; removed our stale devices');
      this.current = this.toRegistration((await create()).body);
    }
    return this.current;
  }

  /** Delete every device of ours; 404 counts as done. */
  private async reap(): Promise<number> {
    let n = 0;
    for (const d of await this.list()) {
      if (!this.isOurs(d)) continue;
      try {
        await requestJson(this.opts.http, 'DELETE', assertAllowedUrl(d.url, 'https:', this.opts.urlPolicy));
        n++;
      } catch (err) {
        if (err instanceof WebexApiError && err.status === 404) n++;
        else if (err instanceof AuthError) throw err;
      }
    }
    return n;
  }

  /** §2.2 refresh (PUT); a 404 means the device is gone: register a new one (SDK behaviour). */
  async refresh(): Promise<Registration> {
    const cur = this.current;
    if (!cur) return this.register();
    try {
      const { body } = await requestJson<WdmDevice>(this.opts.http, 'PUT', cur.url, this.body());
      this.current = this.toRegistration(body);
      return this.current;
    } catch (err) {
      if (err instanceof WebexApiError && err.status === 404) {
        this.current = undefined;
        return this.register();
      }
      throw err;
    }
  }

  /** §2.2 DELETE; a 404 counts as done. */
  async unregister(): Promise<void> {
    const cur = this.current;
    this.current = undefined;
    if (!cur) return;
    try {
      await requestJson(this.opts.http, 'DELETE', cur.url);
    } catch (err) {
      if (!(err instanceof WebexApiError && err.status === 404)) throw err;
    }
  }
}

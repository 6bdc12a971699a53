/**
 * U2C catalog and WDM devices (docs/protocol.md §2.1, §2.3), every service pointing at the
 * emulator's own origin.
 */
import { randomUUID } from 'node:crypto';

export interface Device {
  id: string;
  personId: string;
  /** Mercury registration id: the path part of `webSocketUrl`. */
  registrationId: string;
  name: string;
  deviceType: string;
  model: string;
  localizedModel: string;
  systemName: string;
  systemVersion: string;
  created: string;
  modificationTime: string;
}

export interface DeviceBody {
  name?: unknown;
  deviceName?: unknown;
  deviceType?: unknown;
  model?: unknown;
  localizedModel?: unknown;
  systemName?: unknown;
  systemVersion?: unknown;
}

const str = (v: unknown, dflt: string): string =>
  typeof v === 'string' && v.length > 0 ? v.slice(0, 200) : dflt;

export class DeviceRegistry {
  readonly byId = new Map<string, Device>();
  readonly byRegistration = new Map<string, Device>();

  ofPerson(personId: string): Device[] {
    return [...this.byId.values()].filter((d) => d.personId === personId);
  }

  create(personId: string, body: DeviceBody, now: string): Device {
    const d: Device = {
      id: randomUUID(),
      personId,
      registrationId: randomUUID(),
      created: now,
      modificationTime: now,
      name: 'javascript',
      deviceType: 'WEB',
      model: 'unknown',
      localizedModel: 'unknown',
      systemName: 'unknown',
      systemVersion: '1.0.0',
    };
    this.apply(d, body, now);
    this.byId.set(d.id, d);
    this.byRegistration.set(d.registrationId, d);
    return d;
  }

  apply(d: Device, body: DeviceBody, now: string): void {
    d.name = str(body?.name ?? body?.deviceName, d.name);
    d.deviceType = str(body?.deviceType, d.deviceType);
    d.model = str(body?.model, d.model);
    d.localizedModel = str(body?.localizedModel, d.localizedModel);
    d.systemName = str(body?.systemName, d.systemName);
    d.systemVersion = str(body?.systemVersion, d.systemVersion);
    d.modificationTime = now;
  }

  remove(id: string): Device | undefined {
    const d = this.byId.get(id);
    if (d) {
      this.byId.delete(id);
      this.byRegistration.delete(d.registrationId);
    }
    return d;
  }

  clear(): void {
    this.byId.clear();
    this.byRegistration.clear();
  }
}

export interface Origins {
  http: string;
  ws: string;
}

export function serviceLinks(o: Origins): Record<string, string> {
  return {
    wdm: `${o.http}/wdm/api/v1`,
    encryption: `${o.http}/encryption/api/v1`,
    conversation: `${o.http}/conversation/api/v1`,
    hydra: `${o.http}/v1`,
    u2c: `${o.http}/u2c/api/v1`,
    metrics: `${o.http}/metrics/api/v1`,
  };
}

/**
 * U2C `format=hostmap` (docs/protocol.md §2.1): `serviceLinks` plus a `hostCatalog` whose
 * entries carry `urn:TEAM:us-east-2_a:<service>` ids and bare host names.
 *
 * Real catalogs key their hosts by host name, and every service is on port 443, so a key is at once
 * the URL's `host` and its `hostname`. The clients rely on each reading: SDK 3 looks an entry up by
 * the service URL's `host` (webex-core 3.x services.js `_formatReceivedHostmap`) and appends the URL's
 * port to the entry's `host` (service-url.js `_generateHostUrl`); SDK 2 takes each key itself as a
 * host of the service of its first entry, home-cluster when the key equals the URL's `hostname`
 * (webex-core 2.x services.js `_formatReceivedHostmap`). With a port in the origin those differ, so
 * the catalog carries the hosts under both keys.
 */
export function hostmap(o: Origins): Record<string, unknown> {
  const links = serviceLinks(o);
  const url = new URL(o.http);
  const entries = Object.keys(links).map((name) => ({
    host: url.hostname,
    ttl: -1,
    priority: 5,
    id: `urn:TEAM:us-east-2_a:${name}`,
  }));
  const hostCatalog: Record<string, unknown> = { [url.hostname]: entries };
  if (url.host !== url.hostname) hostCatalog[url.host] = entries;
  return { serviceLinks: links, hostCatalog, format: 'hostmap' };
}

/** §2.2 response fields. */
export function deviceJson(d: Device, o: Origins): Record<string, unknown> {
  const links = serviceLinks(o);
  const services: Record<string, string> = {};
  for (const [k, v] of Object.entries(links)) services[`${k}ServiceUrl`] = v;
  return {
    url: `${links.wdm}/devices/${d.id}`,
    webSocketUrl: `${o.ws}/mercury/v1/apps/wx2/registrations/${d.registrationId}/messages`,
    userId: d.personId,
    name: d.name,
    deviceType: d.deviceType,
    model: d.model,
    localizedModel: d.localizedModel,
    systemName: d.systemName,
    systemVersion: d.systemVersion,
    creationTime: d.created,
    modificationTime: d.modificationTime,
    services,
    serviceHostMap: hostmap(o),
    features: { developer: [], entitlement: [], user: [] },
  };
}

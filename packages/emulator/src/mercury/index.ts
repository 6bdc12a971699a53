/**
 * The emulator's Mercury subsystem: U2C catalog, WDM devices, the Mercury WebSocket and the KMS, with
 * every activity really encrypted (docs/protocol.md). Faults through
 * `control` in-process or `/_emulator/mercury/...` over HTTP.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext, Subsystem } from '../context.js';
import { KMS_HOST } from '../state/limits.js';
import type { Change } from '../state/types.js';
import { activityFor } from './activities.js';
import { type Device, DeviceRegistry, deviceJson, hostmap, type Origins } from './devices.js';
import { bearer, RouteError, readJson, sendError, sendJson } from './http.js';
import { MercuryHub } from './hub.js';
import { EmulatorKms } from './kms.js';

export interface MercuryDeviceInfo {
  id: string;
  url: string;
  name: string;
  deviceType: string;
  connected: boolean;
}

/** Faults and inspection of the Mercury side. Person arguments take a uuid, e-mail or seed key. */
export interface MercuryControl {
  /** Most devices one person may register; more → 403 "excessive device registrations". Default 10. */
  maxDevicesPerPerson: number;
  /** Drop a person's sockets (1006 = abrupt, no close frame; default). Returns how many. */
  dropSockets(person: string, code?: number): number;
  /** Send `{"type":"shutdown"}` to a person's sockets (all when omitted), then 4001 after `graceMs`. */
  shutdown(person?: string, graceMs?: number): number;
  /** Revoke a token: Mercury, WDM and KMS refuse it; its open sockets close with 4401. */
  revokeToken(token: string): void;
  /** Make KMS key requests fail with `status` (undefined: stop). `handshake` also refuses the ECDH. */
  kmsRefuse(status: number | undefined, opts?: { reason?: string; handshake?: boolean }): void;
  /** Delay each KMS reply (ms). */
  kmsDelay(ms: number): void;
  /** Delay every frame sent over Mercury (ms). */
  delayFrames(ms: number): void;
  /** Close sockets that send no `authorization` frame within this (ms). Default 30000. */
  setAuthTimeout(ms: number): void;
  /** A person's registered devices. */
  devices(person: string): MercuryDeviceInfo[];
  /** Authorized sockets of a person. */
  socketCount(person: string): number;
  /** The room content key the KMS hands out for `keyUrl` (tests decrypt with it). */
  contentKey(keyUrl: string): Buffer;
  /**
   * Lose the next `count` activity frames to a person's sockets: never sent, their `sequenceNumber`
   * spent, so the client sees a jump (docs/protocol.md §3.4). Default 1.
   */
  loseActivities(person: string, count?: number): void;
  /**
   * Call `listener` each time one of a person's sockets is authorized, right after its readiness frame
   * went out (tests act at that moment). Returns a function that removes the listener.
   */
  onAuthorized(listener: (info: { personId: string; deviceId: string }) => void): () => void;
}

export function installMercury(ctx: EmulatorContext): Subsystem & { control: MercuryControl } {
  const world = ctx.world;
  const devices = new DeviceRegistry();
  const revoked = new Set<string>();
  const origins = (): Origins => ({ http: ctx.baseUrl(), ws: ctx.wsBaseUrl() });
  const personIdByToken = (token: string): string | undefined =>
    revoked.has(token) ? undefined : world.personByToken(token)?.id;

  /** Room of a key URL, indexed lazily (rooms' keys never change). */
  const roomByKey = new Map<string, string>();
  const roomOfKey = (keyUrl: string): string | undefined => {
    let id = roomByKey.get(keyUrl);
    if (id && world.rooms.has(id)) return id;
    id = undefined;
    for (const r of world.rooms.values()) {
      roomByKey.set(r.encryptionKeyUrl, r.id);
      if (r.encryptionKeyUrl === keyUrl) id = r.id;
    }
    return id;
  };

  const kms = new EmulatorKms({
    host: KMS_HOST,
    now: world.now,
    personIdByToken,
    keyAccess: (personId, keyUrl) => {
      const roomId = roomOfKey(keyUrl);
      if (!roomId) return 'unknown';
      return world.membership(personId, roomId) ? 'member' : 'forbidden';
    },
  });
  const hub = new MercuryHub({ devices, personIdByToken, now: world.now, log: ctx.log });

  const findPerson = (ref: string): string | undefined => {
    if (world.people.has(ref)) return ref;
    const w = world as unknown as { findPerson?: (r: string) => { id: string } | undefined };
    return w.findPerson?.(ref)?.id ?? world.personByEmail(ref)?.id;
  };

  const control: MercuryControl = {
    maxDevicesPerPerson: 10,
    dropSockets(person, code = 1006) {
      const id = findPerson(person);
      return id ? hub.close((c) => c.personId === id, code, 'dropped by the emulator') : 0;
    },
    shutdown(person, graceMs = 1000) {
      const id = person === undefined ? undefined : findPerson(person);
      if (person !== undefined && !id) return 0;
      return hub.shutdown((c) => id === undefined || c.personId === id, graceMs);
    },
    revokeToken(token) {
      revoked.add(token);
      hub.close((c) => c.token === token, 4401, 'Unauthorized');
    },
    kmsRefuse(status, opts = {}) {
      kms.faults.refuseStatus = status;
      kms.faults.refuseReason = opts.reason;
      kms.faults.refuseHandshake = opts.handshake;
    },
    kmsDelay(ms) {
      kms.faults.delayMs = ms;
    },
    delayFrames(ms) {
      hub.frameDelayMs = ms;
    },
    setAuthTimeout(ms) {
      hub.authTimeoutMs = ms;
    },
    devices(person) {
      const id = findPerson(person);
      if (!id) return [];
      return devices.ofPerson(id).map((d) => ({
        id: d.id,
        url: deviceJson(d, origins()).url as string,
        name: d.name,
        deviceType: d.deviceType,
        connected: hub.connectionOfDevice(d.id) !== undefined,
      }));
    },
    socketCount(person) {
      const id = findPerson(person);
      return id ? hub.connectionsOf(id).length : 0;
    },
    contentKey: (keyUrl) => kms.contentKey(keyUrl),
    loseActivities(person, count = 1) {
      const id = findPerson(person);
      if (id) hub.loseActivities.set(id, Math.max(0, Math.floor(count)));
    },
    onAuthorized(listener) {
      hub.events.on('authorized', listener);
      return () => hub.events.off('authorized', listener);
    },
  };

  // Fan-out: one encryption per change, one frame per device of every person in the audience.
  const onChange = (change: Change): void => {
    let audience: Array<{ id: string }>;
    try {
      audience = world.audience(change);
    } catch (err) {
      ctx.log('mercury: audience failed', { err: String(err) });
      return;
    }
    const conns = audience.flatMap((p) => hub.connectionsOf(p.id));
    if (conns.length === 0) return;
    const activity = activityFor(
      { world, origin: ctx.baseUrl(), contentKey: (k) => kms.contentKey(k) },
      change,
    );
    if (!activity) return;
    const dataJson = `{"eventType":"conversation.activity","activity":${JSON.stringify(activity)}}`;
    for (const c of conns) hub.sendActivityJson(c, dataJson);
  };
  const onReset = (): void => {
    hub.closeAll();
    devices.clear();
    revoked.clear();
    roomByKey.clear();
    hub.loseActivities.clear();
    kms.reset();
    hub.frameDelayMs = 0;
    hub.authTimeoutMs = 30_000;
    control.maxDevicesPerPerson = 10;
  };
  world.events.on('change', onChange);
  world.events.on('reset', onReset);

  const authPerson = (req: IncomingMessage): string => {
    const token = bearer(req);
    const id = token ? personIdByToken(token) : undefined;
    if (!id)
      throw new RouteError(
        401,
        'The request requires a valid access token set in the Authorization request header.',
      );
    return id;
  };

  const deviceOf = (personId: string, id: string): Device => {
    const d = devices.byId.get(id);
    if (!d || d.personId !== personId) throw new RouteError(404, 'Device not found.');
    return d;
  };

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    const p = url.pathname;
    const m = req.method ?? 'GET';
    // §2.1 U2C. The limited catalog needs no token.
    if (p === '/u2c/api/v1/limited/catalog' && m === 'GET') {
      sendJson(res, 200, hostmap(origins()));
      return true;
    }
    if (p === '/u2c/api/v1/catalog' && m === 'GET') {
      authPerson(req);
      sendJson(res, 200, hostmap(origins()));
      return true;
    }
    // §2.2, §2.3 WDM.
    if (p === '/wdm/api/v1/devices') {
      const personId = authPerson(req);
      if (m === 'GET') {
        sendJson(res, 200, { devices: devices.ofPerson(personId).map((d) => deviceJson(d, origins())) });
        return true;
      }
      if (m === 'POST') {
        const body = (await readJson(req)) as Record<string, unknown> | undefined;
        if (devices.ofPerson(personId).length >= control.maxDevicesPerPerson) {
          throw new RouteError(403, 'User has excessive device registrations');
        }
        const d = devices.create(personId, body ?? {}, world.nowIso());
        sendJson(res, 200, deviceJson(d, origins()));
        return true;
      }
      throw new RouteError(405, 'Method not allowed.');
    }
    const dm = /^\/wdm\/api\/v1\/devices\/([0-9a-f-]{36})$/.exec(p);
    if (dm) {
      const personId = authPerson(req);
      const d = deviceOf(personId, dm[1] as string);
      if (m === 'PUT') {
        const body = (await readJson(req)) as Record<string, unknown> | undefined;
        devices.apply(d, body ?? {}, world.nowIso());
        sendJson(res, 200, deviceJson(d, origins()));
        return true;
      }
      if (m === 'GET') {
        sendJson(res, 200, deviceJson(d, origins()));
        return true;
      }
      if (m === 'DELETE') {
        devices.remove(d.id);
        hub.close((c) => c.deviceId === d.id, 4404, 'Registration deleted');
        sendJson(res, 204);
        return true;
      }
      throw new RouteError(405, 'Method not allowed.');
    }
    // §4.1: both paths.
    if (
      m === 'GET' &&
      (p === '/encryption/api/v1/kms' || /^\/encryption\/api\/v1\/kms\/[0-9a-f-]{36}$/.test(p))
    ) {
      authPerson(req);
      sendJson(res, 200, kms.details());
      return true;
    }
    if (m === 'POST' && p === '/encryption/api/v1/kms/messages') {
      const token = bearer(req) ?? '';
      const personId = authPerson(req);
      const body = (await readJson(req)) as { kmsMessages?: unknown } | undefined;
      // §4.3: a string or an array.
      const raw = body?.kmsMessages;
      const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : undefined;
      if (!list || list.length === 0 || list.length > 50 || !list.every((x) => typeof x === 'string')) {
        throw new RouteError(400, 'kmsMessages must be a non-empty list of strings.');
      }
      // §4.3: 202, replies over Mercury in request order.
      kms.submit({ personId, token }, list as string[], (pid, replies) => {
        const data = JSON.stringify({
          eventType: 'encryption.kms_message',
          encryption: { kmsMessages: replies },
        });
        for (const c of hub.connectionsOf(pid)) hub.sendEventJson(c, data);
      });
      sendJson(res, 202);
      return true;
    }
    // Client metrics: both SDK majors post them after device registration and treat a failure as
    // an unhandled rejection (internal-plugin-metrics batcher.js, client-metrics-batcher.js).
    // Accepted and dropped.
    if (m === 'POST' && /^\/metrics\/api\/v1\/(metrics|clientmetrics|clientmetrics-prelogin)$/.test(p)) {
      await readJson(req);
      sendJson(res, 200, {});
      return true;
    }
    if (p.startsWith('/_emulator/mercury/')) return controlRoute(req, res, p, m);
    return false;
  }

  async function controlRoute(
    req: IncomingMessage,
    res: ServerResponse,
    p: string,
    m: string,
  ): Promise<boolean> {
    const body = (m === 'POST' ? ((await readJson(req)) ?? {}) : {}) as Record<string, unknown>;
    const person = typeof body.person === 'string' ? body.person : undefined;
    const num = (v: unknown): number | undefined =>
      typeof v === 'number' && Number.isFinite(v) ? v : undefined;
    switch (`${m} ${p}`) {
      case 'POST /_emulator/mercury/drop':
        sendJson(res, 200, { dropped: person ? control.dropSockets(person, num(body.code)) : 0 });
        return true;
      case 'POST /_emulator/mercury/shutdown':
        sendJson(res, 200, { sent: control.shutdown(person, num(body.graceMs)) });
        return true;
      case 'POST /_emulator/mercury/revoke':
        if (typeof body.token !== 'string') throw new RouteError(400, 'token is required.');
        control.revokeToken(body.token);
        sendJson(res, 204);
        return true;
      case 'POST /_emulator/mercury/kms':
        control.kmsRefuse(num(body.refuseStatus), { handshake: body.handshake === true });
        control.kmsDelay(num(body.delayMs) ?? 0);
        sendJson(res, 204);
        return true;
      case 'POST /_emulator/mercury/lose':
        if (!person) throw new RouteError(400, 'person is required.');
        control.loseActivities(person, num(body.count));
        sendJson(res, 204);
        return true;
      case 'POST /_emulator/mercury/frames':
        control.delayFrames(num(body.delayMs) ?? 0);
        sendJson(res, 204);
        return true;
      default: {
        const dm = /^\/_emulator\/mercury\/devices\/([^/]+)$/.exec(p);
        if (m === 'GET' && dm) {
          sendJson(res, 200, { items: control.devices(decodeURIComponent(dm[1] as string)) });
          return true;
        }
        throw new RouteError(404, 'Unknown emulator control route.');
      }
    }
  }

  return {
    control,
    async handle(req, res, url) {
      try {
        return await route(req, res, url);
      } catch (err) {
        if (err instanceof RouteError) {
          sendError(res, err.status, err.message);
          return true;
        }
        ctx.log('mercury: route failed', { err: String(err) });
        sendError(res, 500, 'Internal error.');
        return true;
      }
    },
    upgrade: (req, socket, head, url) => hub.upgrade(req, socket, head, url),
    reset: onReset,
    async stop() {
      world.events.off('change', onChange);
      world.events.off('reset', onReset);
      await hub.stop();
    },
  };
}

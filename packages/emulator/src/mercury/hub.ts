/**
 * The Mercury WebSocket server (docs/protocol.md §3): `authorization` within the timeout (else
 * 1008), `mercury.buffer_state` readiness, ping → pong with the same id, ACKs accepted and ignored
 * (§3.5), `id`/`timestamp`/`trackingId`/`sequenceNumber` on every event, 4401 for a bad or revoked
 * token, 4404 for an unknown registration, 4000 `replaced` for the older of two sockets on one
 * registration, `shutdown` then 4001 (§3.7, §3.2).
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { DeviceRegistry } from './devices.js';

/** Largest client frame accepted (bytes); clients only send small control frames. */
export const MAX_CLIENT_FRAME = 64 * 1024;
const PATH = /^\/mercury\/v1\/apps\/wx2\/registrations\/([0-9a-f-]{36})\/messages$/;

export interface HubOptions {
  devices: DeviceRegistry;
  /** The person owning a token (and not revoked), or undefined. */
  personIdByToken(token: string): string | undefined;
  now(): number;
  /** Close sockets that do not authorize within this (ms). Default 30000 (§3.2). */
  authTimeoutMs?: number;
  log(msg: string, fields?: Record<string, unknown>): void;
}

export interface Connection {
  ws: WebSocket;
  registrationId: string;
  personId?: string;
  token?: string;
  deviceId?: string;
  seq: number;
  authTimer?: ReturnType<typeof setTimeout>;
  /** Sent `shutdown`: the next socket on its registration replaces it with 4001, not 4000. */
  shuttingDown?: boolean;
}

export interface HubEvents {
  /** A socket authorized and was sent its readiness frame: events for its person now reach it. */
  authorized: [{ personId: string; deviceId: string }];
}

export class MercuryHub {
  readonly wss: WebSocketServer;
  readonly events = new EventEmitter<HubEvents>();
  /** Per person: how many of the next activity frames to lose (sequence numbers still used); a fault. */
  readonly loseActivities = new Map<string, number>();
  /** Authorized connections by device id. */
  private readonly byDevice = new Map<string, Connection>();
  private readonly pending = new Set<Connection>();
  /** Delay before each frame is sent (ms); a fault. */
  frameDelayMs = 0;
  /** Close sockets that do not authorize within this (ms). */
  authTimeoutMs: number;

  constructor(private readonly opts: HubOptions) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_FRAME });
    this.authTimeoutMs = opts.authTimeoutMs ?? 30_000;
  }

  /** Take the upgrade if the path is a Mercury registration. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): boolean {
    const m = PATH.exec(url.pathname);
    if (!m) return false;
    const registrationId = m[1] as string;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, registrationId));
    return true;
  }

  private accept(ws: WebSocket, registrationId: string): void {
    const conn: Connection = { ws, registrationId, seq: 0 };
    this.pending.add(conn);
    const timeout = this.authTimeoutMs;
    conn.authTimer = setTimeout(() => {
      // §3.2: the real server's reason text (it says "seconds" but counts milliseconds).
      ws.close(1008, `authentication did not happen within the timeout window of ${timeout} seconds.`);
    }, timeout);
    conn.authTimer.unref();
    ws.on('message', (data, isBinary) => this.onMessage(conn, data.toString(), isBinary));
    ws.on('close', () => this.forget(conn));
    ws.on('error', () => this.forget(conn));
  }

  private forget(conn: Connection): void {
    clearTimeout(conn.authTimer);
    this.pending.delete(conn);
    if (conn.deviceId && this.byDevice.get(conn.deviceId) === conn) this.byDevice.delete(conn.deviceId);
  }

  private onMessage(conn: Connection, text: string, _isBinary: boolean): void {
    let frame: { id?: unknown; type?: unknown; data?: { token?: unknown } };
    try {
      frame = JSON.parse(text) as typeof frame;
    } catch {
      return;
    }
    if (!frame || typeof frame !== 'object') return;
    if (!conn.personId) {
      if (frame.type !== 'authorization') return;
      this.authorize(conn, frame.data?.token);
      return;
    }
    if (frame.type === 'ping' && typeof frame.id === 'string') {
      this.sendRaw(conn, JSON.stringify({ id: frame.id, type: 'pong' }));
    }
    // `ack` and anything else: accepted, nothing to do (§3.5).
  }

  private authorize(conn: Connection, raw: unknown): void {
    clearTimeout(conn.authTimer);
    this.pending.delete(conn);
    // §3.1: `Bearer <token>`; a raw token is tolerated.
    const token = typeof raw === 'string' ? raw.replace(/^Bearer\s+/i, '').trim() : '';
    const personId = token ? this.opts.personIdByToken(token) : undefined;
    if (!personId) {
      conn.ws.close(4401, 'Unauthorized');
      return;
    }
    const device = this.opts.devices.byRegistration.get(conn.registrationId);
    if (!device) {
      conn.ws.close(4404, 'Registration not found');
      return;
    }
    if (device.personId !== personId) {
      conn.ws.close(4403, 'Forbidden');
      return;
    }
    conn.personId = personId;
    conn.token = token;
    conn.deviceId = device.id;
    const old = this.byDevice.get(device.id);
    this.byDevice.set(device.id, conn);
    if (old && old !== conn) {
      old.deviceId = undefined;
      // After a `shutdown` the client opens its replacement first and expects the server to close
      // the old socket with 4001; any other takeover of a registration is 4000 `replaced`
      // (internal-plugin-mercury 3.x mercury.js `_handleImminentShutdown`, `_onclose`).
      if (old.shuttingDown) old.ws.close(4001, 'shutdown');
      else old.ws.close(4000, 'replaced');
    }
    this.sendEvent(conn, {
      eventType: 'mercury.buffer_state',
      bufferState: { conversation: 'UNKNOWN', locus: 'UNKNOWN' },
    });
    this.events.emit('authorized', { personId, deviceId: device.id });
  }

  /** Send an activity frame, unless the `loseActivities` fault takes it (its sequence number is spent). */
  sendActivityJson(conn: Connection, dataJson: string): void {
    const lose = conn.personId === undefined ? 0 : (this.loseActivities.get(conn.personId) ?? 0);
    if (lose > 0) {
      this.loseActivities.set(conn.personId as string, lose - 1);
      conn.seq += 1;
      return;
    }
    this.sendEventJson(conn, dataJson);
  }

  /** Send an event frame (§3.4) with the per-connection sequence number. `dataJson` is pre-serialised. */
  sendEventJson(conn: Connection, dataJson: string): void {
    conn.seq += 1;
    const frame = `{"id":"${randomUUID()}","data":${dataJson},"timestamp":${this.opts.now()},"trackingId":"EMU_${randomUUID()}","sequenceNumber":${conn.seq},"wsWriteTimestamp":${Date.now()}}`;
    this.sendRaw(conn, frame);
  }

  sendEvent(conn: Connection, data: Record<string, unknown>): void {
    this.sendEventJson(conn, JSON.stringify(data));
  }

  private sendRaw(conn: Connection, text: string): void {
    const go = () => {
      if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(text);
    };
    if (this.frameDelayMs > 0) setTimeout(go, this.frameDelayMs).unref();
    else go();
  }

  /** Authorized connections of a person. */
  connectionsOf(personId: string): Connection[] {
    const out: Connection[] = [];
    for (const c of this.byDevice.values()) if (c.personId === personId) out.push(c);
    return out;
  }

  /** Connection of a device, if authorized. */
  connectionOfDevice(deviceId: string): Connection | undefined {
    return this.byDevice.get(deviceId);
  }

  /** Close a person's sockets (or all) with `code`; returns how many. */
  close(filter: (c: Connection) => boolean, code: number, reason: string): number {
    let n = 0;
    for (const c of [...this.byDevice.values()]) {
      if (!filter(c)) continue;
      n++;
      if (c.deviceId) this.byDevice.delete(c.deviceId);
      if (code === 1006) c.ws.terminate();
      else c.ws.close(code, reason);
    }
    return n;
  }

  /** §3.6: `{"type":"shutdown"}`, then 4001 on the old socket once replaced or after `graceMs`. */
  shutdown(filter: (c: Connection) => boolean, graceMs = 1000): number {
    let n = 0;
    for (const c of [...this.byDevice.values()]) {
      if (!filter(c)) continue;
      n++;
      c.shuttingDown = true;
      // With an `id`, as every server frame: SDK 3 acknowledges each frame it receives and rejects
      // (unhandled) on one without an id (internal-plugin-mercury socket-base.js `_acknowledge`).
      this.sendRaw(c, JSON.stringify({ id: randomUUID(), type: 'shutdown' }));
      setTimeout(() => {
        if (c.ws.readyState === c.ws.OPEN) c.ws.close(4001, 'shutdown');
        if (c.deviceId && this.byDevice.get(c.deviceId) === c) this.byDevice.delete(c.deviceId);
      }, graceMs).unref();
    }
    return n;
  }

  closeAll(): void {
    for (const c of [...this.byDevice.values(), ...this.pending]) c.ws.terminate();
    this.byDevice.clear();
    this.pending.clear();
  }

  stop(): Promise<void> {
    this.closeAll();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}

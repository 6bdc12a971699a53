/**
 * Mercury frame codec (docs/protocol.md §3.1, §3.5). Pure: bytes or text in, a typed frame or a
 * `ProtocolError` out. It never throws, whatever the input, so a hostile peer cannot crash the socket
 * (checked by a property test).
 */
import { ProtocolError } from '../errors.js';

/** Largest frame accepted (bytes). Activities are a few KB; KMS replies smaller. */
export const MAX_FRAME_BYTES = 1 << 20;

export type ServerFrame =
  /** `{"id","type":"pong"}` (§3.3). */
  | { kind: 'pong'; id: string }
  /** `{"type":"shutdown"}`: the server is going away; reconnect (§3.6). */
  | { kind: 'shutdown' }
  /** Any frame with `data.eventType` (§3.4). */
  | {
      kind: 'event';
      id: string | undefined;
      eventType: string;
      data: Record<string, unknown>;
      sequenceNumber: number | undefined;
      timestamp: number | undefined;
      trackingId: string | undefined;
    };

function toText(input: unknown): string | ProtocolError {
  if (typeof input === 'string') {
    return input.length > MAX_FRAME_BYTES ? new ProtocolError('frame too large') : input;
  }
  let buf: Buffer;
  if (Buffer.isBuffer(input)) buf = input;
  else if (input instanceof ArrayBuffer) buf = Buffer.from(input);
  else if (ArrayBuffer.isView(input)) buf = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  else if (Array.isArray(input) && input.every((b) => Buffer.isBuffer(b))) buf = Buffer.concat(input);
  else return new ProtocolError('frame is neither text nor bytes');
  if (buf.length > MAX_FRAME_BYTES) return new ProtocolError('frame too large');
  return buf.toString('utf8');
}

/** Parse one server frame. */
export function parseFrame(input: unknown): ServerFrame | ProtocolError {
  const text = toText(input);
  if (text instanceof ProtocolError) return text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return new ProtocolError('frame is not JSON');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return new ProtocolError('frame is not an object');
  const f = value as Record<string, unknown>;
  const id = typeof f.id === 'string' && f.id.length <= 200 ? f.id : undefined;
  if (f.type === 'pong') {
    return id === undefined ? new ProtocolError('pong without id') : { kind: 'pong', id };
  }
  if (f.type === 'shutdown') return { kind: 'shutdown' };
  const data = f.data;
  if (!data || typeof data !== 'object' || Array.isArray(data)) {
    return new ProtocolError(
      `frame without data (type ${typeof f.type === 'string' ? f.type.slice(0, 40) : 'none'})`,
    );
  }
  const eventType = (data as Record<string, unknown>).eventType;
  if (typeof eventType !== 'string' || eventType.length === 0 || eventType.length > 200) {
    return new ProtocolError('frame without data.eventType');
  }
  return {
    kind: 'event',
    id,
    eventType,
    data: data as Record<string, unknown>,
    sequenceNumber: typeof f.sequenceNumber === 'number' ? f.sequenceNumber : undefined,
    timestamp: typeof f.timestamp === 'number' ? f.timestamp : undefined,
    trackingId: typeof f.trackingId === 'string' ? f.trackingId : undefined,
  };
}

/** §3.1: the first frame after open; the token in `Bearer <token>` form (§3.1). */
export function authorizationFrame(id: string, token: string): string {
  return JSON.stringify({ id, type: 'authorization', data: { token: `Bearer ${token}` } });
}

/** §3.3. */
export function pingFrame(id: string): string {
  return JSON.stringify({ id, type: 'ping' });
}

/** §3.5: acknowledge an event frame by its envelope id. */
export function ackFrame(messageId: string): string {
  return JSON.stringify({ messageId, type: 'ack' });
}

/** §3.2: readiness after authorization. */
export function isReadiness(frame: ServerFrame): boolean {
  return (
    frame.kind === 'event' &&
    (frame.eventType === 'mercury.buffer_state' || frame.eventType === 'mercury.registration_status')
  );
}

/** §3.1: the query parameters every client sets, keeping those already on the URL. */
export function prepareSocketUrl(webSocketUrl: string, now: number): string {
  const u = new URL(webSocketUrl);
  u.searchParams.set('outboundWireFormat', 'text');
  u.searchParams.set('bufferStates', 'true');
  u.searchParams.set('aliasHttpStatus', 'true');
  u.searchParams.set('clientTimestamp', String(now));
  return u.toString();
}

/**
 * Server-Sent Events for the chat page: one stream per open page, carrying the world's changes
 * that the page's person may learn of (`world.audience`, the same rule webhooks and Mercury use).
 *
 * Limits: at most `maxStreams` open streams (503 beyond); a stream whose unsent output grows past
 * `maxBufferedBytes` (a page that stopped reading) is closed, and EventSource reconnects it.
 */
import type { ServerResponse } from 'node:http';
import { restId } from '../rest/ids.js';
import type { Change } from '../state/types.js';
import type { World } from '../state/world.js';
import { uiMessage } from './views.js';

export interface UiEventsOptions {
  /** Comment line sent this often so proxies and browsers keep the stream open, in ms. Default 15000. */
  keepAliveMs?: number;
  /** Most streams open at once. Default 64. */
  maxStreams?: number;
  /** Unsent bytes one stream may hold before it is closed. Default 1 MiB. */
  maxBufferedBytes?: number;
}

interface Stream {
  /** PEOPLE uuid of the viewer. */
  personId: string;
  /** How the page named the viewer (kept in file URLs). */
  personRef: string;
  res: ServerResponse;
}

/** What one change looks like on the page's stream, or undefined when the page has no use for it. */
export function uiEvent(
  world: World,
  change: Change,
  viewerRef: string,
): Record<string, unknown> | undefined {
  switch (change.kind) {
    case 'message.created':
    case 'message.updated':
      return {
        kind: change.kind,
        roomId: restId('ROOM', change.message.roomId),
        message: uiMessage(world, change.message, viewerRef),
      };
    case 'message.deleted':
      return {
        kind: change.kind,
        roomId: restId('ROOM', change.message.roomId),
        id: restId('MESSAGE', change.message.id),
      };
    case 'membership.created':
    case 'membership.updated':
    case 'membership.deleted':
      return {
        kind: change.kind,
        roomId: restId('ROOM', change.membership.roomId),
        personId: restId('PEOPLE', change.membership.personId),
      };
    case 'room.created':
    case 'room.updated':
      return { kind: change.kind, roomId: restId('ROOM', change.room.id) };
    case 'attachmentAction.created':
      return {
        kind: change.kind,
        roomId: restId('ROOM', change.action.roomId),
        messageId: restId('MESSAGE', change.action.messageId),
        personId: restId('PEOPLE', change.action.personId),
        personName: world.people.get(change.action.personId)?.displayName ?? 'Someone',
      };
  }
}

export class UiEvents {
  private readonly streams = new Set<Stream>();
  private readonly timer: NodeJS.Timeout;
  private readonly maxStreams: number;
  private readonly maxBufferedBytes: number;
  private readonly onChange = (change: Change) => this.publish(change);

  constructor(
    private readonly world: World,
    options: UiEventsOptions = {},
  ) {
    this.maxStreams = options.maxStreams ?? 64;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    world.events.on('change', this.onChange);
    this.timer = setInterval(() => {
      for (const s of this.streams) this.write(s, ': keep-alive\n\n');
    }, options.keepAliveMs ?? 15_000);
    this.timer.unref();
  }

  get size(): number {
    return this.streams.size;
  }

  /** Answer with a stream for `personId`; false (nothing written) when the limit is reached. */
  open(res: ServerResponse, personId: string, personRef: string): boolean {
    if (this.streams.size >= this.maxStreams) return false;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    const stream: Stream = { personId, personRef, res };
    this.streams.add(stream);
    res.on('close', () => this.streams.delete(stream));
    // `retry`: how long EventSource waits before reconnecting, ms (HTML §9.2.6).
    this.write(stream, 'retry: 1000\n: connected\n\n');
    return true;
  }

  private publish(change: Change): void {
    if (this.streams.size === 0) return;
    const audience = new Set(this.world.audience(change).map((p) => p.id));
    for (const s of this.streams) {
      if (!audience.has(s.personId)) continue;
      const data = uiEvent(this.world, change, s.personRef);
      if (data) this.write(s, `event: change\ndata: ${JSON.stringify(data)}\n\n`);
    }
  }

  /** The world was replaced: tell every page, then close, so each reconnects and finds its person again. */
  reset(): void {
    for (const s of this.streams) {
      this.write(s, 'event: reset\ndata: {}\n\n');
      s.res.end();
    }
    this.streams.clear();
  }

  stop(): void {
    clearInterval(this.timer);
    this.world.events.off('change', this.onChange);
    for (const s of this.streams) s.res.end();
    this.streams.clear();
  }

  private write(s: Stream, chunk: string): void {
    if (s.res.destroyed || s.res.writableEnded) {
      this.streams.delete(s);
      return;
    }
    s.res.write(chunk);
    if (s.res.writableLength > this.maxBufferedBytes) {
      this.streams.delete(s);
      s.res.destroy();
    }
  }
}

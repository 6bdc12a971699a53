/**
 * Outgoing loop guard. A bot that answers messages can end up answering another bot (or itself) in
 * a loop; this guard counts sends per room in a sliding window and, past the threshold, pauses sends
 * to that room for a while and logs a warning once per pause (3R's runaway-loop tests, docs/protocol.md §9).
 *
 * Use: `if (guard.allow(roomId)) await client.messages.create(...)`, or wrap the send with `run`.
 */
import { type Logger, silentLogger } from './logger.js';

export interface LoopGuardOptions {
  /** Most sends to one room within `windowMs`. Default 5. */
  maxMessages?: number;
  /** Sliding window (ms). Default 3000. */
  windowMs?: number;
  /** How long sends to a room stay paused once it trips (ms). Default 30000. */
  pauseMs?: number;
  /** Rooms tracked at once (LRU); beyond it the least recent room is forgotten. Default 10000. */
  maxRooms?: number;
  logger?: Logger;
  /** Clock (ms). Default `Date.now`. */
  now?: () => number;
}

interface RoomState {
  sends: number[];
  pausedUntil: number;
}

export class LoopGuard {
  private readonly max: number;
  private readonly windowMs: number;
  private readonly pauseMs: number;
  private readonly maxRooms: number;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly rooms = new Map<string, RoomState>();

  constructor(options: LoopGuardOptions = {}) {
    this.max = options.maxMessages ?? 5;
    this.windowMs = options.windowMs ?? 3000;
    this.pauseMs = options.pauseMs ?? 30_000;
    this.maxRooms = options.maxRooms ?? 10_000;
    this.log = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
  }

  /** Whether a send to `roomId` may go now; counts it when it may. */
  allow(roomId: string): boolean {
    const t = this.now();
    let s = this.rooms.get(roomId);
    if (s) this.rooms.delete(roomId);
    else s = { sends: [], pausedUntil: 0 };
    this.rooms.set(roomId, s);
    if (this.rooms.size > this.maxRooms) {
      const first = this.rooms.keys().next();
      if (!first.done) this.rooms.delete(first.value);
    }
    if (t < s.pausedUntil) return false;
    while (s.sends.length > 0 && (s.sends[0] ?? 0) <= t - this.windowMs) s.sends.shift();
    if (s.sends.length >= this.max) {
      s.pausedUntil = t + this.pauseMs;
      s.sends = [];
      this.log.warn(
        { roomId, maxMessages: this.max, windowMs: this.windowMs, pauseMs: this.pauseMs },
        'loop guard: too many messages to one room, pausing sends to it',
      );
      return false;
    }
    s.sends.push(t);
    return true;
  }

  /** Whether sends to `roomId` are paused now. */
  isPaused(roomId: string): boolean {
    const s = this.rooms.get(roomId);
    return !!s && this.now() < s.pausedUntil;
  }

  /** Run `send` if allowed; returns its result, or undefined when the room is paused. */
  async run<T>(roomId: string, send: () => Promise<T>): Promise<T | undefined> {
    return this.allow(roomId) ? send() : undefined;
  }
}

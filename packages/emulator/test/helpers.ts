/**
 * Start an emulator on port 0 with the test seed and talk to it with plain fetch; or, for a suite
 * of Mercury tests, with the Mercury seed.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { encodeId } from '@herald/webex';
import { type RunningEmulator, type StartEmulatorOptions, startEmulator } from '../src/server.js';
import { TOKENS, testSeed } from './fixtures.js';
import { MERCURY_SEED } from './mercury-seed.js';

export interface Harness {
  emu: RunningEmulator;
  /** A manual clock (ms); tests advance it instead of sleeping. */
  clock: { now: number };
  call(
    token: string,
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<Response>;
  /** call + JSON body. */
  json<T = Record<string, unknown>>(
    token: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T; res: Response }>;
  /** GET a list (its first page) as `token`: asserts 200, returns the items. */
  items<T = Record<string, unknown>>(token: string, path: string): Promise<T[]>;
  /** REST id of a seeded person / room by key. */
  personId(key: string): string;
  roomId(key: string): string;
}

export async function harness(options: StartEmulatorOptions = {}): Promise<Harness> {
  const clock = { now: Date.UTC(2024, 4, 1, 9, 0, 0) };
  const emu = await startEmulator({
    port: 0,
    seed: testSeed,
    clock: () => clock.now,
    randomSeed: 42,
    ...options,
  });
  const call = (
    token: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (token) (init.headers as Record<string, string>).Authorization = `Bearer ${token}`;
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['Content-Type'] ??= 'application/json';
    }
    return fetch(path.startsWith('http') ? path : `${emu.url}${path}`, init);
  };
  const json: Harness['json'] = async (token, method, path, body) => {
    const res = await call(token, method, path, body);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, res };
  };
  return {
    emu,
    clock,
    call,
    json,
    async items<T>(token: string, path: string) {
      const list = await json<{ items: T[] }>(token, 'GET', path);
      assert.equal(list.status, 200, `GET ${path}`);
      return list.body.items;
    },
    personId: (key) => encodeId('PEOPLE', emu.world.keys.people.get(key)!),
    roomId: (key) => encodeId('ROOM', emu.world.keys.rooms.get(key)!),
  };
}

export { TOKENS };

export interface MercurySuite {
  /** The running emulator; only inside the suite's tests (it starts in `before`). */
  readonly emu: RunningEmulator;
  /** Uuid of a seeded person or room by key (keys are unique across both); other strings as they are. */
  id(key: string): string;
}

/**
 * For the enclosing `describe`: an emulator on port 0 with MERCURY_SEED, started before its tests
 * and stopped after them. `randomSeed` 42 fixes the ids from run to run.
 */
export function mercurySuite(): MercurySuite {
  let running: RunningEmulator | undefined;
  before(async () => {
    running = await startEmulator({ port: 0, seed: MERCURY_SEED, randomSeed: 42 });
  });
  after(async () => {
    await running?.stop();
  });
  const emu = (): RunningEmulator => {
    if (!running) throw new Error("the Mercury emulator starts in the suite's before hook");
    return running;
  };
  return {
    get emu() {
      return emu();
    },
    id: (key) => emu().world.keys.people.get(key) ?? emu().world.keys.rooms.get(key) ?? key,
  };
}

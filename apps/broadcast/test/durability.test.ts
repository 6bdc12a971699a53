/**
 * Durability: `kill -9` in the middle of a broadcast, restarted ten times, loses nothing and repeats
 * at most the send in flight and the copy whose row was being written; two instances on one
 * PostgreSQL broadcast once.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { manySpacesSeed, startEmulator } from '@herald/emulator';
import type { Seed } from '../../../packages/emulator/src/state/types.js';
import { killableBotEnv } from './helpers.js';
import { withScenario } from './scenario.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const ROOMS = 300;
const KILLS = 10;

function bigSeed(): Seed {
  return manySpacesSeed({ spaces: ROOMS, botToken: 'KILL_BOT', personToken: 'KILL_ALICE', prefix: 'r' });
}

/** A random sequence from a fixed seed, printed on failure. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('durability', () => {
  it(`kill -9 during a broadcast to ${ROOMS} spaces, ${KILLS} times: every space gets its copy, at most two extra per kill`, async (t) => {
    const seed = Number(process.env.HERALD_KILL_SEED ?? Date.now() % 100_000);
    const random = rng(seed);
    const emu = await startEmulator({ port: 0, seed: bigSeed() });
    const dir = mkdtempSync(join(tmpdir(), 'herald-kill-'));
    const env = killableBotEnv(emu, 'KILL_BOT', dir, 'kill-test', 150);
    const world = emu.world;
    const bot = world.findPerson('bot')!;
    const alice = world.findPerson('alice')!;
    const roomIds = new Set(Array.from({ length: ROOMS }, (_, i) => world.findRoom(`r${i}`)!.id));
    const copies = () => {
      const counts = new Map<string, number>();
      for (const m of world.messages.values()) {
        if (m.personId === bot.id && roomIds.has(m.roomId))
          counts.set(m.roomId, (counts.get(m.roomId) ?? 0) + 1);
      }
      return counts;
    };
    const total = () => [...copies().values()].reduce((a, b) => a + b, 0);
    const launch = (): ChildProcess =>
      spawn(process.execPath, ['--import', 'tsx', CLI, 'start'], {
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
    const waitUntil = async (what: string, ok: () => boolean, ms = 60_000) => {
      const end = Date.now() + ms;
      while (!ok()) {
        if (Date.now() > end) throw new Error(`seed ${seed}: timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const connected = () =>
      [...world.people.values()].length > 0 && emu.control.mercury.socketCount(bot.id) > 0;

    let child = launch();
    try {
      await waitUntil('the bot to connect', connected);
      world.postMessage(alice.id, { roomId: world.findRoom('alice-bot')!.id, text: 'durable news' });
      const marks = Array.from({ length: KILLS }, () => Math.floor(random() * (ROOMS - 20)) + 1).sort(
        (a, b) => a - b,
      );
      for (const mark of marks) {
        await waitUntil(`${mark} copies`, () => total() >= mark);
        assert.ok(
          copies().size < ROOMS,
          `seed ${seed}: the kill at ${mark} came after the broadcast finished`,
        );
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        child = launch();
        await waitUntil('the bot to reconnect', connected);
      }
      await waitUntil('every space to have a copy', () => copies().size === ROOMS, 120_000);
      await waitUntil('the report', () =>
        [...world.messages.values()].some(
          (m) => m.personId === bot.id && /Delivered to/.test(m.markdown ?? ''),
        ),
      );
      const counts = copies();
      const extra = [...counts.values()].reduce((a, n) => a + (n - 1), 0);
      const most = Math.max(...counts.values());
      t.diagnostic(
        `seed ${seed}: kills at ${marks.join(', ')} copies; ${extra} extra copies, at most ${most} in one space`,
      );
      assert.equal(counts.size, ROOMS, `seed ${seed}: none missing`);
      // Each kill repeats at most the send in flight and the copy whose row was being written. Two
      // kills a few copies apart may both catch the same row (sent again first after a restart),
      // so one space may get a third copy; the total stays within two a kill.
      assert.ok(extra <= 2 * KILLS, `seed ${seed}: ${extra} extra copies for ${KILLS} kills`);
    } finally {
      child.kill('SIGKILL');
      await emu.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two instances on one PostgreSQL, both on Mercury: one copy per space', {
    skip: process.env.DATABASE_URL ? false : 'DATABASE_URL is not set: PostgreSQL test skipped (CI sets it)',
  }, async () => {
    await withScenario(
      {
        transport: 'mercury',
        instances: 2,
        databaseUrl: process.env.DATABASE_URL,
        schema: `t_two_${process.pid}_${Date.now().toString(36)}`,
      },
      async (s) => {
        s.post('alice', { roomId: s.room('alice-bot').id, text: 'once, please' });
        await s.settled();
        await new Promise((r) => setTimeout(r, 200));
        for (const key of ['acme-1', 'acme-2', 'bob-bot']) assert.equal(s.copiesIn(key).length, 1, key);
        assert.equal(s.copiesIn('alice-bot').length, 1, 'one report');
        const events = s.bots.map((b) => b.bot.metrics.events['message.created'] ?? 0);
        assert.deepEqual(events, [1, 1], 'both instances saw the event');
      },
    );
  });
});

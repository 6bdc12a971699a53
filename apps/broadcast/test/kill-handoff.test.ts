/**
 * At-least-once over Mercury: `kill -9` after the bot has received a message and before it has
 * stored it. Mercury does not send a frame again (no source shows un-ACKed frames re-sent,
 * docs/protocol.md), so the restarted bot must fetch it through REST from the newest message it had
 * stored; it is broadcast after the restart.
 *
 * The bot's SQLite file is held locked by this test while the message arrives, so the bot's write
 * waits (busy_timeout) and the kill lands between receipt and hand-off for sure.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { manySpacesSeed, startEmulator } from '@herald/emulator';
import SQLite from 'better-sqlite3';
import { killableBotEnv } from './helpers.js';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const SPACES = 3;
const dir = mkdtempSync(join(tmpdir(), 'herald-handoff-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('at-least-once over Mercury', () => {
  it('kill -9 between receipt and durable hand-off: the message is still broadcast after the restart', async (t) => {
    const emu = await startEmulator({
      port: 0,
      seed: manySpacesSeed({
        spaces: SPACES,
        botToken: 'HANDOFF_BOT',
        personToken: 'HANDOFF_ALICE',
        prefix: 'h',
      }),
    });
    const env = killableBotEnv(emu, 'HANDOFF_BOT', dir, 'handoff-test', 50);
    const sqlite = env.HERALD_SQLITE!;
    const world = emu.world;
    const bot = world.findPerson('bot')!;
    const alice = world.findPerson('alice')!;
    const direct = world.findRoom('alice-bot')!.id;
    const spaces = Array.from({ length: SPACES }, (_, i) => world.findRoom(`h${i}`)!.id);
    const copiesOf = (text: string) =>
      spaces.filter((roomId) =>
        [...world.messages.values()].some(
          (m) => m.personId === bot.id && m.roomId === roomId && (m.markdown ?? m.text ?? '').includes(text),
        ),
      ).length;
    /** The bot's log on stderr, kept for the checks below and shown on failure. */
    let log = '';
    const launch = (): ChildProcess => {
      const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'start'], {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        log += chunk.toString();
      });
      return child;
    };
    const waitUntil = async (what: string, ok: () => boolean, ms = 60_000) => {
      const end = Date.now() + ms;
      while (!ok()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const connected = () => emu.control.mercury.socketCount(bot.id) > 0;
    const framesTo = () => (log.match(/"msg":"broadcast received"/g) ?? []).length;

    let child = launch();
    let lock: SQLite.Database | undefined;
    try {
      await waitUntil('the bot to connect', connected);
      // A first broadcast, stored and sent: the bot has a newest stored message to recover from.
      world.postMessage(alice.id, { roomId: direct, text: 'first news' });
      await waitUntil('the first broadcast', () => copiesOf('first news') === SPACES);
      // Its report comes after every copy's row is written: from here on, no write of the first
      // broadcast can be caught by the lock below (and repeated after the kill).
      await waitUntil('the first report', () =>
        [...world.messages.values()].some(
          (m) => m.personId === bot.id && m.roomId === direct && /Delivered to/.test(m.markdown ?? ''),
        ),
      );

      // Hold the write lock: the bot receives the next message but cannot store it.
      lock = new SQLite(sqlite);
      lock.exec('BEGIN IMMEDIATE');
      const before = framesTo();
      const socketsBefore = emu.control.mercury.socketCount(bot.id);
      world.postMessage(alice.id, { roomId: direct, text: 'second news' });
      // The frame is on the bot's socket as soon as the emulator has the message; give the bot a
      // moment to read it, well inside its 5 s busy_timeout.
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(framesTo(), before, 'the bot could not store the second message yet');
      assert.equal(socketsBefore, 1);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      lock.exec('ROLLBACK');
      lock.close();
      lock = undefined;
      assert.equal(copiesOf('second news'), 0);

      child = launch();
      await waitUntil('the second broadcast after the restart', () => copiesOf('second news') === SPACES);
      assert.equal(copiesOf('first news'), SPACES, 'the first broadcast is not repeated');
      const firstCopies = [...world.messages.values()].filter(
        (m) =>
          m.personId === bot.id &&
          spaces.includes(m.roomId) &&
          (m.markdown ?? m.text ?? '').includes('first news'),
      ).length;
      assert.equal(firstCopies, SPACES, 'recovering from the watermark repeats nothing already stored');
    } catch (err) {
      t.diagnostic(log.slice(-6000));
      throw err;
    } finally {
      lock?.close();
      child.kill('SIGKILL');
      await emu.stop();
    }
  });
});

// A program whose only work is a Mercury receiver stays alive while the receiver waits to reconnect:
// the wait between attempts holds the event loop (heartbeat timers need not: the socket does).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { mercurySuite } from './helpers.js';

const CHILD = fileURLToPath(new URL('./mercury-keepalive-child.ts', import.meta.url));

describe('Mercury receiver alone in a process', () => {
  const suite = mercurySuite();

  it('does not let the process exit while it waits to reconnect', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: { ...process.env, EMULATOR_URL: suite.emu.url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const saw = (line: string) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (out.includes(line)) resolve();
        };
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          check();
        });
        void exited.then(() => reject(new Error(`the process exited before "${line}"; output: ${out}`)));
        check();
      });
    try {
      await saw('connected');
      // The socket drops; the receiver waits about a second (backoff) before connecting again.
      assert.equal(suite.emu.control.mercury.dropSockets('bot'), 1);
      await saw('reconnected');
      assert.equal(await exited, 0);
    } finally {
      child.kill();
    }
  });
});

/**
 * An invocation killed in the middle of a drain (SIGKILL, as a platform ends a function at its
 * timeout or a host dies) loses nothing: once its leases expire, later drains send the rest, and
 * only the sends in flight at the kill, and the copies whose rows were being written, can repeat.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { manySpacesSeed } from '@herald/emulator';
import { claimBatch } from '../../src/bot.js';
import { type Rig, SKIP, startRig } from './rig.js';

const SPACES = 150;
const WORKERS = 2;
const LEASE_S = 30;
const RATE = 60;
const CHILD = fileURLToPath(new URL('./drain-child.ts', import.meta.url));

describe('function mode: a drain killed mid-way', { skip: SKIP }, () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({
      seed: manySpacesSeed({
        spaces: SPACES,
        botToken: 'KILL_FN_BOT',
        personToken: 'KILL_FN_ALICE',
        prefix: 'k',
      }),
      token: 'KILL_FN_BOT',
      config: {
        delivery: { rate_per_second: RATE, workers: WORKERS, lease_seconds: LEASE_S, max_attempts: 5 },
      },
    });
  });
  after(() => rig?.stop());

  it(`SIGKILL during a drain of ${SPACES} copies: every space gets its copy, at most ${WORKERS} twice`, async () => {
    const ids = Array.from({ length: SPACES }, (_, i) => rig.room(`k${i}`).id);
    await rig.post('alice', { roomId: rig.room('alice-bot').id, text: 'survive the kill' });
    assert.equal((await rig.store.countDeliveries()).pending, SPACES);
    const total = () => [...rig.copies(ids).values()].reduce((a, b) => a + b, 0);

    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: {
        ...process.env,
        HERALD_TEST_SETTINGS: JSON.stringify(rig.settings),
        HERALD_TEST_SCHEMA: rig.schema,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 60_000;
    while (total() < 40) {
      if (Date.now() > deadline) throw new Error('the child drain sent too little');
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill('SIGKILL');
    await exited;
    const atKill = total();
    assert.ok(atKill < SPACES, `killed before the end (${atKill} sent)`);
    const stuck = (await rig.store.countDeliveries()).sending;

    // The dead invocation's leases run out; the next drains take its rows.
    rig.shiftClock((LEASE_S + 1) * 1000);
    await rig.drainUntilIdle();
    const counts = rig.copies(ids);
    const extra = [...counts.values()].reduce((a, n) => a + (n - 1), 0);
    assert.equal(counts.size, SPACES, 'none missing');
    // Per worker, the send in flight and the copy whose row was being written can repeat.
    assert.ok(extra <= 2 * WORKERS, `${extra} extra copies (at most two per worker, ${WORKERS} workers)`);
    // Each worker holds its claimed batch, and nothing past it is leased.
    const held = WORKERS * claimBatch({ rate_per_second: RATE, workers: WORKERS });
    assert.ok(stuck <= held, `${stuck} deliveries were left leased by the dead drain (at most ${held})`);
  });
});

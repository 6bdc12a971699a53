/**
 * The bot's work loops (src/work-loop.ts): a wake-up that comes while a step runs is not lost,
 * the loop steps again instead of sleeping its idle time; one that comes while it sleeps ends the
 * sleep; stop ends the loop either way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkLoop } from '../src/work-loop.js';

/** An idle time no test waits out: a step that only it could bring would never come. */
const IDLE_MS = 600_000;

describe('work loop', () => {
  it('woken during a step that found nothing, it steps again instead of sleeping', async () => {
    let steps = 0;
    let second!: () => void;
    const again = new Promise<void>((resolve) => {
      second = resolve;
    });
    const loop: WorkLoop = new WorkLoop(
      async () => {
        steps++;
        // The news arrives while this step is still looking (after it found nothing).
        if (steps === 1) loop.wake();
        if (steps === 2) second();
        return false;
      },
      IDLE_MS,
      (err) => assert.fail(String(err)),
    );
    loop.start();
    const outcome = await Promise.race([
      again.then(() => 'stepped again'),
      new Promise((r) => setTimeout(() => r('asleep'), 2000)),
    ]);
    await loop.stop();
    assert.equal(outcome, 'stepped again');
    assert.equal(steps, 2, 'one wake-up, one more step, then asleep until stopped');
  });

  it('woken while asleep, it steps at once; a busy step is followed by another; stop ends it', async () => {
    const seen: string[] = [];
    let answer = false;
    let stepped!: () => void;
    let next = new Promise<void>((r) => {
      stepped = r;
    });
    const loop = new WorkLoop(
      async () => {
        seen.push(answer ? 'busy' : 'idle');
        const was = answer;
        answer = false;
        stepped();
        return was;
      },
      IDLE_MS,
      (err) => assert.fail(String(err)),
    );
    loop.start();
    await next;
    next = new Promise<void>((r) => {
      stepped = r;
    });
    answer = true;
    loop.wake();
    await next;
    // The busy step is followed by one more without a wake-up, which finds nothing.
    await new Promise((r) => setTimeout(r, 50));
    await loop.stop();
    assert.deepEqual(seen, ['idle', 'busy', 'idle']);
  });
});

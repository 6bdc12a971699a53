import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateLimiter } from '../src/pipeline/limiter.js';

function fakeClock() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    sleeps,
  };
}

describe('rate limiter', () => {
  it('hands out a burst of half a second, then one token per 1/rate seconds', async () => {
    const c = fakeClock();
    const l = new RateLimiter({ ratePerSecond: 10, now: c.now, sleep: c.sleep });
    for (let i = 0; i < 25; i++) await l.take();
    // 5 from the burst, then 20 more at 100 ms each.
    assert.equal(c.now(), 2000);
  });
  it('takes a burst it is given', async () => {
    const c = fakeClock();
    const l = new RateLimiter({ ratePerSecond: 5, burst: 5, now: c.now, sleep: c.sleep });
    for (let i = 0; i < 15; i++) await l.take();
    assert.equal(c.now(), 2000);
  });
  it('pauses everyone for Retry-After', async () => {
    const c = fakeClock();
    const l = new RateLimiter({ ratePerSecond: 100, now: c.now, sleep: c.sleep });
    await l.take();
    l.pause(3);
    await l.take();
    assert.ok(c.now() >= 3000 && c.now() <= 3010, String(c.now()));
  });
});

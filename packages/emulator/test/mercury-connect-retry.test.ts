// `connect()`'s setup calls meet passing failures: `/people/me` answered 503 (with Retry-After: 1)
// is tried again and the handler connects; a permanent 4xx fails at once; the last try gives up.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RunningEmulator, startEmulator } from '@herald/emulator';
import { type Logger, WebexApiError, WebexMessageHandler } from '@herald/webex';
import { MERCURY_SEED } from './mercury-seed.js';

function capture(): { logger: Logger; warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  const noop = () => {};
  return {
    warnings,
    logger: {
      debug: noop,
      info: noop,
      error: noop,
      warn: (fields, msg) => warnings.push({ ...fields, msg }),
    },
  };
}

describe('Mercury connect: setup calls under passing failures', () => {
  let emu: RunningEmulator;
  const handlers: WebexMessageHandler[] = [];
  before(async () => {
    emu = await startEmulator({ port: 0, seed: MERCURY_SEED });
  });
  after(async () => {
    for (const h of handlers) await h.disconnect().catch(() => {});
    await emu.stop();
  });
  const handler = (logger: Logger, connectAttempts?: number) => {
    const h = new WebexMessageHandler({
      token: 'bot-token',
      u2cUrl: `${emu.url}/u2c/api/v1`,
      baseUrl: `${emu.url}/v1`,
      allowedOrigins: [emu.url],
      logger,
      connectAttempts,
    });
    handlers.push(h);
    return h;
  };
  const meCalls = () => emu.control.requests({ path: '/people/me' }).length;

  it('503 on /people/me twice: waits Retry-After, tries again, connects', async () => {
    emu.control.clearRequests();
    emu.control.setFaults({ errorRate: 1, errorStatuses: [503], pathFilter: '/people/me' });
    // Lift the fault after the second refusal (each waits Retry-After: 1 s).
    const lift = setInterval(() => {
      if (meCalls() >= 2) {
        emu.control.setFaults({});
        clearInterval(lift);
      }
    }, 20);
    const { logger, warnings } = capture();
    const h = handler(logger);
    try {
      await h.connect();
    } finally {
      clearInterval(lift);
      emu.control.setFaults({});
    }
    assert.equal(h.connected, true);
    assert.equal(meCalls(), 3);
    const retries = warnings.filter((w) => w.msg === 'mercury setup call failed; trying again');
    assert.equal(retries.length, 2);
    assert.equal(retries[0]?.wait, 1000, 'Retry-After: 1 is honoured');
    assert.ok(!JSON.stringify(warnings).includes('bot-token'), 'no token in the warnings');
    await h.disconnect();
  });

  it('a permanent 4xx is not tried again', async () => {
    emu.control.clearRequests();
    emu.control.setFaults({ errorRate: 1, errorStatuses: [400], pathFilter: '/people/me' });
    const h = handler(capture().logger);
    try {
      await assert.rejects(h.connect(), (err) => err instanceof WebexApiError && err.status === 400);
    } finally {
      emu.control.setFaults({});
    }
    assert.equal(meCalls(), 1);
    assert.equal(h.connected, false);
  });

  it('gives up after connectAttempts tries, with the last error', async () => {
    emu.control.clearRequests();
    emu.control.setFaults({ errorRate: 1, errorStatuses: [503], pathFilter: '/people/me' });
    const h = handler(capture().logger, 2);
    try {
      await assert.rejects(h.connect(), (err) => err instanceof WebexApiError && err.status === 503);
    } finally {
      emu.control.setFaults({});
    }
    assert.equal(meCalls(), 2);
    assert.equal(emu.control.mercury.devices('bot').length, 0, 'no device was registered');
  });
});

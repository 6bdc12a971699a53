/**
 * Function mode behind a corporate proxy: the core reads HTTPS_PROXY / HTTP_PROXY / NO_PROXY as
 * `herald start` does, so hydration in the webhook call and the copies sent by drains go through it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { manySpacesSeed } from '@herald/emulator';
import {
  type ForwardProxy,
  setProxyEnv,
  startForwardProxy,
} from '../../../../packages/webex/test/forward-proxy.js';
import { type Rig, SKIP, startRig } from './rig.js';

const SPACES = 4;

describe('function mode through a forward proxy', { skip: SKIP }, () => {
  let fwd: ForwardProxy;
  let rig: Rig;
  before(async () => {
    fwd = await startForwardProxy({ user: 'herald', password: 'proxy-pass-0123' });
    setProxyEnv({ HTTP_PROXY: fwd.url });
    rig = await startRig({
      seed: manySpacesSeed({ spaces: SPACES, botToken: 'FNP_BOT', personToken: 'FNP_ALICE', prefix: 'p' }),
      token: 'FNP_BOT',
    });
  });
  after(async () => {
    setProxyEnv({});
    await rig?.stop();
    await fwd?.close();
  });

  it('the webhook call hydrates and the drains send through the proxy', async () => {
    const m = await rig.post('alice', { roomId: rig.room('alice-bot').id, text: 'proxied news' });
    await rig.drainUntilIdle();
    const spaces = Array.from({ length: SPACES }, (_, i) => rig.room(`p${i}`).id);
    assert.equal(rig.copies(spaces).size, SPACES, 'every space has its copy');
    const origin = rig.emu.url;
    assert.ok(
      fwd.log.some((l) => l.startsWith(`GET ${origin}/v1/messages/`)),
      `the webhook's hydration went through the proxy:\n${fwd.log.join('\n')}`,
    );
    const posts = fwd.log.filter((l) => l === `POST ${origin}/v1/messages`).length;
    assert.ok(posts >= SPACES, `the copies went through the proxy (${posts} POSTs)`);
    assert.ok(m.id);
  });
});

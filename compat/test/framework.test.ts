// webex-node-bot-framework 2.3.14, unmodified, against the emulator: websocket mode (its own webex
// 2.4.2 over WDM, Mercury and KMS) and webhook mode (an Express server on loopback, signed webhooks).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningEmulator } from '@herald/emulator';
import { Client, emulator, TOKENS } from './harness.js';

const CARD = {
  type: 'AdaptiveCard',
  version: '1.2',
  body: [{ type: 'Input.Text', id: 'answer' }],
  actions: [{ type: 'Action.Submit', title: 'Send' }],
};

for (const mode of ['websocket', 'webhook'] as const) {
  describe(`webex-node-bot-framework 2.3.14, ${mode} mode`, () => {
    let emu: RunningEmulator;
    let bot: Client;
    const roomId = (key: string) => emu.control.room(key).id;

    /**
     * Alice posts into `room`; hears() fires there with `heard` in its trigger, and bot.say() lands
     * its echo of the message text in the space.
     */
    async function aliceIsHeard(
      room: 'direct' | 'group',
      post: { text: string } | { markdown: string },
      heard: { message: string } & Record<string, unknown>,
    ): Promise<void> {
      const from = bot.events.length;
      emu.control.post('alice', { room, ...post });
      const e = await bot.next((x) => x.name === 'hears', 'hears', from);
      assert.equal(e.data?.roomId, roomId(room));
      for (const [field, value] of Object.entries(heard)) assert.equal(e.data?.[field], value, field);
      await waitFor(
        () => emu.control.messages(room).some((m) => m.text === `echo: ${heard.message}`),
        'the reply',
      );
    }

    before(async () => {
      emu = await emulator();
      bot = new Client('framework.cjs', {
        WEBEX_TOKEN: TOKENS.bot,
        HYDRA_SERVICE_URL: `${emu.url}/v1`,
        U2C_SERVICE_URL: `${emu.url}/u2c/api/v1`,
        ...(mode === 'webhook' ? { WEBHOOK_SECRET: 'compat-webhook-secret' } : {}),
      });
      await bot.ready;
    });
    after(async () => {
      await bot?.close();
      await emu?.stop();
    });

    it('reaches initialized, with a bot for each space', async () => {
      await bot.call('start');
      await bot.next((e) => e.name === 'initialized', 'initialized');
      const spawned = bot.events.filter((e) => e.name === 'spawn').map((e) => e.data?.roomId);
      assert.deepEqual(spawned.sort(), [roomId('direct'), roomId('group')].sort());
    });

    it('hears() fires for a 1-1 message and bot.say() lands in the space', () =>
      aliceIsHeard(
        'direct',
        { text: 'hello framework' },
        { message: 'hello framework', from: 'alice@acme.example' },
      ));

    it('hears() fires for an @mention in a group (the text carries the name, as Webex sends it)', () =>
      aliceIsHeard(
        'group',
        { markdown: '<@personEmail:herald@webex.bot|Herald> ping' },
        { text: 'Herald ping', message: 'Herald ping' },
      ));

    it('a card submission reaches attachmentAction', async () => {
      const card = emu.control.post('bot', {
        room: 'direct',
        text: 'Answer, please',
        card: CARD,
      }) as { id: string };
      const from = bot.events.length;
      emu.control.submitCard('alice', card.id, { answer: 'forty-two' });
      const e = await bot.next((x) => x.name === 'attachmentAction', 'attachmentAction', from);
      assert.equal(e.data?.roomId, roomId('direct'));
      assert.deepEqual(e.data?.inputs, { answer: 'forty-two' });
    });

    it('adding the bot to a new space spawns a bot there; removing it despawns', async () => {
      const from = bot.events.length;
      const room = emu.control.createRoom('alice', { title: `Planning (${mode})`, members: ['bot'] });
      const e = await bot.next((x) => x.name === 'spawn' && x.data?.roomId === room.id, 'spawn', from);
      assert.equal(e.data?.addedBy, emu.control.person('alice').id);
      emu.control.removeMember('alice', room.id, 'bot');
      await bot.next((x) => x.name === 'despawn' && x.data?.roomId === room.id, 'despawn', from);
    });

    if (mode === 'webhook') {
      it('webhooks arrive signed, and the framework accepted them (it acted on each)', () => {
        const hooks = bot.events.filter((e) => e.name === 'webhook');
        assert.ok(hooks.length >= 3);
        assert.ok(hooks.every((h) => h.data?.signed === true));
      });
    }

    it('had no unhandled rejection and did not exit', async () => {
      assert.equal(await bot.call('stop'), true);
      bot.assertHealthy();
    });
  });
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Catching up after a Mercury drop right after a large broadcast: the receiver asks REST again
 * only for the spaces where something happened that its socket did not deliver (someone else
 * wrote), not for every space the bot just wrote to.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manySpacesSeed } from '@herald/emulator';
import { withScenario } from './scenario.js';

const SPACES = 150;

describe('reconnect after a large broadcast', () => {
  it(`a drop right after a broadcast to ${SPACES} spaces: reconciling reads the one space someone wrote in`, async (t) => {
    await withScenario(
      {
        transport: 'mercury',
        seed: manySpacesSeed({ spaces: SPACES, botToken: 'SCENARIO_BOT_TOKEN', personToken: 'ALICE' }),
      },
      async (s) => {
        const bot = s.person('bot');
        const copies = () => [...s.world.messages.values()].filter((m) => m.personId === bot.id).length;
        s.post('alice', { roomId: s.room('alice-bot').id, text: 'first news' });
        await s.waitFor('the copies', () => copies() >= SPACES + 1, 30_000);
        await s.settled();
        s.emu.control.clearRequests();
        // The drop comes within the reconcile window of the last copies (2 s back from the last activity).
        s.emu.control.mercury.dropSockets(bot.id);
        // While the socket is down, Alice asks for a second broadcast.
        s.post('alice', { roomId: s.room('alice-bot').id, text: 'second news' });
        await s.waitFor('the second broadcast', () => copies() >= 2 * (SPACES + 1), 30_000);
        const reads = s.emu.control
          .requests({ method: 'GET', personId: bot.id })
          .filter((r) => r.path.startsWith('/v1/messages?'));
        t.diagnostic(`reconcile made ${reads.length} GET /messages calls`);
        assert.ok(reads.length >= 1, 'the 1-1 Alice wrote in is read');
        assert.ok(reads.length <= 3, `${reads.length} GET /messages calls after the drop`);
      },
    );
  });
});

/**
 * Approval (optional): broadcasts from trusted senders go out at once; others wait for a member of
 * the approvers' space to press Approve or Reject; the sender is told either way.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Seed } from '../../../packages/emulator/src/state/types.js';
import { TRANSPORTS, twoOrgSeed } from './scenario.js';
import { suiteScenario } from './suite-scenario.js';

const seed: Seed = {
  ...twoOrgSeed,
  rooms: [...twoOrgSeed.rooms, { key: 'approvers', title: 'Approvers', creator: 'bob', members: ['bot'] }],
};

const isCopy = (markdown: string | undefined) => /^Message from/.test(markdown ?? '');

for (const transport of TRANSPORTS) {
  describe(`approval over ${transport}`, () => {
    const s = suiteScenario({
      transport,
      seed,
      config: ({ room }) => ({
        approval: { enabled: true, room_id: room('approvers'), trusted_senders: ['bob@acme.example'] },
      }),
    });

    it('an untrusted sender waits; Approve sends it and tells the sender', async () => {
      s.post('alice', { roomId: s.room('alice-bot').id, text: 'new canteen menu' });
      const card = await s.waitFor('approval card', () => s.cardsIn('approvers')[0]);
      await s.settled();
      assert.match(
        card.markdown ?? '',
        /Alice Archer \(alice@acme\.example\) asks to broadcast to 4 spaces:/,
      );
      assert.match(card.markdown ?? '', /new canteen menu/);
      assert.ok(s.copiesIn('alice-bot').some((m) => /awaits approval/.test(m.markdown ?? '')));
      for (const k of ['acme-1', 'acme-2', 'bob-bot']) assert.equal(s.copiesIn(k).length, 0, `${k}: held`);

      s.press('bob', card, 'Approve');
      s.press('bob', card, 'Approve');
      await s.waitFor('copies', () => s.copiesIn('acme-2').length === 1);
      await s.settled();
      for (const k of ['acme-1', 'acme-2', 'bob-bot']) assert.equal(s.copiesIn(k).length, 1, k);
      assert.ok(s.copiesIn('alice-bot').some((m) => /approved by Bob Baker/.test(m.markdown ?? '')));
      assert.ok(
        s
          .copiesIn('approvers')
          .some((m) => m.parentId === card.id && /Approved by Bob Baker/.test(m.markdown ?? '')),
      );
      assert.match(s.cardsIn('alice-bot').at(-1)?.markdown ?? '', /Delivered to 3 of 4 spaces\./);
      assert.ok(!s.copiesIn('approvers').some((m) => isCopy(m.markdown)), 'the approvers space gets no copy');
    });

    it('Reject: nothing goes out, the sender is told', async () => {
      s.post('alice', { roomId: s.room('alice-bot').id, text: 'free pizza (not really)' });
      const card = await s.waitFor('approval card', () =>
        s.cardsIn('approvers').find((m) => /free pizza/.test(m.markdown ?? '')),
      );
      s.press('bob', card, 'Reject');
      await s.waitFor('told', () =>
        s.copiesIn('alice-bot').some((m) => /rejected by Bob Baker/.test(m.markdown ?? '')),
      );
      await s.settled();
      for (const k of ['acme-1', 'acme-2', 'bob-bot'])
        assert.ok(!s.copiesIn(k).some((m) => /free pizza/.test(m.markdown ?? '')), k);
    });

    it('a trusted sender goes out at once; the sender cannot approve their own', async () => {
      s.post('bob', { roomId: s.room('bob-bot').id, text: 'trusted news' });
      await s.waitFor('copies', () =>
        s.copiesIn('alice-bot').some((m) => /trusted news/.test(m.markdown ?? '')),
      );
      await s.settled();
      assert.ok(!s.cardsIn('approvers').some((m) => /trusted news/.test(m.markdown ?? '')));

      // Alice joins the approvers' space; her own request still needs someone else.
      s.world.addMember(s.person('bob').id, s.room('approvers').id, s.person('alice').id, false);
      s.post('alice', { roomId: s.room('alice-bot').id, text: 'self-approved?' });
      const card = await s.waitFor('approval card', () =>
        s.cardsIn('approvers').find((m) => /self-approved/.test(m.markdown ?? '')),
      );
      s.press('alice', card, 'Approve');
      await new Promise((r) => setTimeout(r, 400));
      await s.settled();
      assert.ok(!s.copiesIn('acme-1').some((m) => /self-approved/.test(m.markdown ?? '')));
      const row = (await s.bot.store.recentBroadcasts(20)).find((r) => r.status === 'awaiting_approval');
      assert.ok(row, 'still waiting for an approver');
    });

    // Last: it takes the bot out of the approvers' space.
    it('approvers space unreachable: the broadcast ends unsent and the sender is told', async () => {
      s.world.removeMember(s.person('bob').id, s.room('approvers').id, s.person('bot').id);
      s.post('alice', { roomId: s.room('alice-bot').id, text: 'nobody can approve this' });
      await s.waitFor('told', () =>
        s.copiesIn('alice-bot').some((m) => /cannot post in the approvers' space/.test(m.markdown ?? '')),
      );
      await s.settled();
      const row = (await s.bot.store.recentBroadcasts(20)).find((r) => /nobody can approve/.test(r.request));
      assert.ok(row, 'the broadcast was recorded');
      assert.equal(row.status, 'rejected');
      assert.equal((await s.bot.store.countDeliveries(row.id)).held, 0, 'no copy left waiting');
      for (const k of ['acme-1', 'acme-2', 'bob-bot'])
        assert.ok(!s.copiesIn(k).some((m) => /nobody can approve/.test(m.markdown ?? '')), k);
    });
  });
}

/**
 * Preview (dry run): `preview <message>` answers with a card listing where the message would go and
 * where the bot cannot post; its Send button broadcasts exactly that, once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeId } from '@herald/webex';
import { type Scenario, startScenario, TRANSPORTS } from './scenario.js';

for (const transport of TRANSPORTS) {
  describe(`preview over ${transport}`, () => {
    let s: Scenario;
    before(async () => {
      s = await startScenario({ transport });
    });
    after(() => s.stop());

    it('lists the spaces, flags the announcement-only one, and sends on Send (pressed twice: once)', async () => {
      s.emu.control.clearRequests();
      s.post('alice', { roomId: s.room('alice-bot').id, markdown: 'preview Quarterly **results**' });
      const preview = await s.waitFor('the preview card', () => s.cardsIn('alice-bot')[0]);
      await s.settled();
      const md = preview.markdown ?? '';
      assert.match(md, /This would reach 4 spaces:/);
      for (const title of ['Acme One', 'Acme Two', 'Acme Announcements', 'Bob'])
        assert.match(md, new RegExp(`- ${title}`), title);
      assert.match(md, /I cannot post to 1 of them[^\n]*\n- Acme Announcements/);
      assert.doesNotMatch(md, /Globex/);
      // Only the announcement-only space needs a membership lookup.
      const lookups = s.emu.control.requests({ method: 'GET', path: '/v1/memberships' });
      assert.equal(lookups.length, 1);
      for (const key of ['acme-1', 'acme-2', 'bob-bot'])
        assert.equal(s.copiesIn(key).length, 0, `${key}: dry run`);

      // Two presses before the bot has seen either.
      s.press('alice', preview, 'Send it');
      s.press('alice', preview, 'Send it');
      await s.waitFor('copies', () => s.copiesIn('acme-2').length === 1);
      await s.settled();
      const alice = s.person('alice');
      for (const key of ['acme-1', 'acme-2', 'bob-bot']) assert.equal(s.copiesIn(key).length, 1, key);
      assert.equal(
        s.copiesIn('acme-1')[0]?.markdown,
        `Message from <@personId:${encodeId('PEOPLE', alice.id)}>:  \n\nQuarterly **results**`,
      );
      const cards = s.cardsIn('alice-bot');
      assert.equal(
        cards.length,
        1,
        `the preview card is replaced by the report card: ${cards.map((c) => c.markdown).join(' | ')}`,
      );
      assert.match(cards[0]!.markdown ?? '', /Delivered to 3 of 4 spaces\./);
      assert.match(cards[0]!.markdown ?? '', /Acme Announcements: 403/);
    });

    it('a Send pressed by someone else, or on a stale card, does nothing', async () => {
      const before1 = s.copiesIn('acme-1').length;
      s.post('bob', { roomId: s.room('acme-2').id, markdown: `${s.mentionBot} preview from bob` });
      // Bob's preview card goes to his 1-1; Alice is not in it, so she cannot press it there. She
      // presses the Send button of a look-alike card she posts herself, naming Bob's broadcast.
      const card = await s.waitFor('bob preview', () =>
        s.cardsIn('bob-bot').find((m) => /This would reach/.test(m.markdown ?? '')),
      );
      const data = (card.attachments[0]!.content as { actions: Array<{ data: Record<string, unknown> }> })
        .actions[0]!.data;
      const fake = s.world.postMessage(s.person('alice').id, {
        roomId: s.room('acme-1').id,
        text: 'fake',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            content: {
              type: 'AdaptiveCard',
              version: '1.3',
              body: [],
              actions: [{ type: 'Action.Submit', title: 'x', data }],
            },
          },
        ],
      });
      s.emu.control.submitCard(s.person('alice').id, fake.id, data);
      await new Promise((r) => setTimeout(r, 400));
      await s.settled();
      assert.equal(s.copiesIn('acme-1').length, before1, 'nothing was sent');
      const row = (await s.bot.store.recentBroadcasts(10)).find((r) => r.status === 'previewed');
      assert.ok(row, "bob's preview still waits for his Send");
    });

    it('`preview` alone explains how to use it', async () => {
      s.post('alice', { roomId: s.room('alice-bot').id, text: 'Preview' });
      await s.waitFor('usage', () =>
        s.copiesIn('alice-bot').find((m) => /followed by the message/.test(m.markdown ?? '')),
      );
    });
  });
}

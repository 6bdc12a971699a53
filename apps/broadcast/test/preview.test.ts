/**
 * Preview (dry run): `preview <message>` answers with a card listing where the message would go and
 * where the bot cannot post; its Send button broadcasts exactly that, once. `preview` alone answers
 * with a compose card: a field and a Preview button that does the same for what was typed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeId } from '@herald/webex';
import { type Scenario, TRANSPORTS } from './scenario.js';
import { suiteScenario } from './suite-scenario.js';

/** Alice posts, in Acme One, a card of her own whose one button carries `data` (as ours would). */
function lookAlike(s: Scenario, data: Record<string, unknown>) {
  return s.world.postMessage(s.person('alice').id, {
    roomId: s.room('acme-1').id,
    text: 'look-alike',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          type: 'AdaptiveCard',
          version: '1.3',
          body: [],
          actions: [{ type: 'Action.Submit', title: 'Press', data }],
        },
      },
    ],
  });
}

for (const transport of TRANSPORTS) {
  describe(`preview over ${transport}`, () => {
    const s = suiteScenario({ transport });

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
      const fake = lookAlike(s, data);
      s.emu.control.submitCard(s.person('alice').id, fake.id, data);
      await new Promise((r) => setTimeout(r, 400));
      await s.settled();
      assert.equal(s.copiesIn('acme-1').length, before1, 'nothing was sent');
      const row = (await s.bot.store.recentBroadcasts(10)).find((r) => r.status === 'previewed');
      assert.ok(row, "bob's preview still waits for his Send");
    });

    it('`preview` alone explains it and offers a compose card whose Preview makes a preview', async () => {
      s.post('alice', { roomId: s.room('alice-bot').id, text: 'Preview' });
      const compose = await s.waitFor('the compose card', () =>
        s.cardsIn('alice-bot').find((m) => /followed by the message/.test(m.markdown ?? '')),
      );
      const content = compose.attachments[0]!.content as {
        body: Array<Record<string, unknown>>;
        actions: Array<{ title: string; data: Record<string, unknown> }>;
      };
      const field = content.body.find((b) => b.type === 'Input.Text');
      assert.equal(field?.id, 'herald_message');
      const button = content.actions.find((a) => a.title === 'Preview');
      assert.ok(button, 'a Preview button');
      // As a Webex client does: the typed field and the button's data make the action's inputs.
      const press = () =>
        s.emu.control.submitCard(s.person('alice').id, compose.id, {
          ...button.data,
          herald_message: 'Canteen closed on **Friday**',
        });
      press();
      press();
      const preview = await s.waitFor('the preview of the typed message', () =>
        s.cardsIn('alice-bot').find((m) => /This would reach 4 spaces/.test(m.markdown ?? '')),
      );
      await s.settled();
      assert.match(preview.markdown ?? '', /- Acme One/);
      const previews = (await s.bot.store.recentBroadcasts(20)).filter(
        (r) => r.status === 'previewed' && /Canteen closed/.test(r.request),
      );
      assert.equal(previews.length, 1, 'pressed twice, one preview');
      assert.equal(s.copiesIn('acme-1').filter((m) => /Canteen closed/.test(m.markdown ?? '')).length, 0);

      s.press('alice', preview, 'Send it');
      await s.waitFor('the copy', () =>
        s.copiesIn('acme-1').find((m) => /Canteen closed on \*\*Friday\*\*/.test(m.markdown ?? '')),
      );
      await s.settled();
    });

    it('compose data on a card the bot did not post in a 1-1 is ignored', async () => {
      const data = { herald_action: 'compose', herald_message: 'smuggled through a look-alike' };
      const fake = lookAlike(s, data);
      s.emu.control.submitCard(s.person('bob').id, fake.id, data);
      await new Promise((r) => setTimeout(r, 400));
      await s.settled();
      const rows = await s.bot.store.recentBroadcasts(50);
      assert.ok(!rows.some((r) => /smuggled/.test(r.request)), 'no preview was made');
    });
  });
}

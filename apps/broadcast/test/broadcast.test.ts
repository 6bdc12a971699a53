/**
 * The broadcast bot's behaviour, end to end through the emulator, over both transports
 * (github.com/JardaMartan/broadcast_bot, with its defects fixed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeId } from '@herald/webex';
import { TRANSPORTS, withScenario } from './scenario.js';
import { suiteScenario } from './suite-scenario.js';

const CARD = {
  type: 'AdaptiveCard',
  version: '1.3',
  body: [{ type: 'TextBlock', text: 'Vote' }],
  actions: [{ type: 'Action.Submit', title: 'Yes', data: { vote: 'yes' } }],
};

for (const transport of TRANSPORTS) {
  describe(`broadcast over ${transport}`, () => {
    describe('default policy (bot org senders, sender org destinations)', () => {
      const s = suiteScenario({ transport });

      it('a 1-1 message reaches the spaces of the sender org, and the sender gets a report', async () => {
        s.post('alice', { roomId: s.room('alice-bot').id, markdown: 'Quarterly **results** are out' });
        await s.settled();
        for (const key of ['acme-1', 'acme-2', 'bob-bot']) assert.equal(s.copiesIn(key).length, 1, key);
        for (const key of ['globex-1', 'gina-bot'])
          assert.equal(s.copiesIn(key).length, 0, `${key}: other org`);
        const alice = s.person('alice');
        const group = s.copiesIn('acme-1')[0]!;
        assert.equal(
          group.markdown,
          `Message from <@personId:${encodeId('PEOPLE', alice.id)}>:  \n\nQuarterly **results** are out`,
        );
        assert.deepEqual(group.mentionedPeople, [alice.id]);
        assert.equal(
          s.copiesIn('bob-bot')[0]?.markdown,
          'Message from Alice Archer (alice@acme.example):  \n\nQuarterly **results** are out',
        );
        // The announcement-only space refuses a non-moderator: reported, not retried forever.
        assert.equal(s.copiesIn('acme-announce').length, 0);
        const reports = s.copiesIn('alice-bot');
        assert.equal(reports.length, 1, 'one report, and no copy into the sender 1-1');
        assert.match(reports[0]!.markdown ?? '', /Delivered to 3 of 4 spaces\./);
        assert.match(reports[0]!.markdown ?? '', /Acme Announcements: 403/);
        // The bot's id is read once, at start; the receiver is given it (no GET per first delivery).
        const bot = s.person('bot');
        assert.equal(
          s.emu.control.requests({ method: 'GET', path: '/people/me', personId: bot.id }).length,
          1,
        );
      });

      it('an @mention in a group: only the bot mention is removed, no echo into the source space', async () => {
        const bob = s.person('bob');
        const before1 = s.copiesIn('acme-1').length;
        const before2 = s.copiesIn('acme-2').length;
        s.post('alice', {
          roomId: s.room('acme-1').id,
          markdown: `${s.mentionBot} please tell <@personId:${encodeId('PEOPLE', bob.id)}|Bob> the **news** ${s.mentionBot}`,
        });
        await s.waitFor('copy in acme-2', () => s.copiesIn('acme-2').length === before2 + 1);
        await s.settled();
        assert.equal(s.copiesIn('acme-1').length, before1, 'no echo into the source space');
        const copy = s.copiesIn('acme-2').at(-1)!;
        assert.match(
          copy.markdown ?? '',
          new RegExp(`please tell <@personId:${encodeId('PEOPLE', bob.id)}\\|Bob> the \\*\\*news\\*\\*$`),
        );
        assert.ok(copy.mentionedPeople.includes(bob.id), 'the other mention still notifies');
      });

      it('a sender from another org is refused and told so', async () => {
        const copies = s.copiesIn('acme-2').length;
        s.post('gina', { roomId: s.room('gina-bot').id, text: 'let me in' });
        await s.waitFor('refusal', () => s.copiesIn('gina-bot').length === 1);
        await s.settled();
        assert.equal(s.copiesIn('acme-2').length, copies);
        assert.match(s.copiesIn('gina-bot')[0]?.markdown ?? '', /not allowed/);
      });

      it('the first file is downloaded once and carried to every destination', async () => {
        const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => i % 251));
        s.emu.control.clearRequests();
        s.post('alice', {
          roomId: s.room('alice-bot').id,
          text: 'the deck',
          files: [{ name: 'deck.bin', contentType: 'application/octet-stream', bytes }],
        });
        await s.waitFor('file copies', () => s.copiesIn('bob-bot').some((m) => m.files.length === 1));
        await s.settled();
        for (const key of ['acme-1', 'acme-2', 'bob-bot']) {
          const copy = s.copiesIn(key).at(-1)!;
          const file = s.world.files.get(copy.files[0]!);
          assert.equal(file?.name, 'deck.bin', key);
          assert.deepEqual(file?.bytes, bytes, key);
        }
        const downloads = s.emu.control
          .requests({ method: 'GET' })
          .filter((r) => r.path.startsWith('/v1/contents/'));
        assert.equal(downloads.length, 1, 'one download for all destinations');
      });

      it('a JSON file that is a card goes out as a card, with the header and the text', async () => {
        s.post('alice', {
          roomId: s.room('alice-bot').id,
          text: 'please vote',
          files: [
            {
              name: 'vote.json',
              contentType: 'application/json; charset=utf-8',
              bytes: Buffer.from(JSON.stringify(CARD)),
            },
          ],
        });
        await s.waitFor('card copies', () => s.copiesIn('acme-2').some((m) => m.attachments.length === 1));
        await s.settled();
        const copy = s.copiesIn('acme-2').at(-1)!;
        assert.deepEqual(copy.attachments[0]?.content, CARD);
        assert.equal(copy.files.length, 0);
        assert.match(copy.markdown ?? '', /^Message from <@personId:.*>: {2}\n\nplease vote$/);
      });
    });

    describe('other policies', () => {
      it('sender list: only listed senders, compared case-insensitively', async () => {
        await withScenario(
          {
            transport,
            config: {
              source: { bots_own_org: true, from_sender_list: true, sender_list: ['BOB@acme.example'] },
            },
          },
          async (s) => {
            s.post('alice', { roomId: s.room('alice-bot').id, text: 'from alice' });
            s.post('bob', { roomId: s.room('bob-bot').id, text: 'from bob' });
            await s.waitFor('a copy', () => s.copiesIn('acme-1').length >= 1);
            await s.settled();
            assert.deepEqual(
              s.copiesIn('acme-1').map((m) => m.markdown?.split('\n').at(-1)),
              ['from bob'],
            );
            assert.match(s.copiesIn('alice-bot')[0]?.markdown ?? '', /not allowed/);
          },
        );
      });

      it("anyone may send; destinations in the bot's org only", async () => {
        await withScenario(
          {
            transport,
            config: {
              source: { bots_own_org: false },
              destination: { bots_own_org: true, senders_own_org: false },
            },
            locale: 'cs_CZ',
          },
          async (s) => {
            s.post('gina', { roomId: s.room('gina-bot').id, text: 'ahoj' });
            await s.waitFor('copies', () => s.copiesIn('acme-2').length === 1);
            await s.settled();
            for (const key of ['acme-1', 'acme-2', 'alice-bot', 'bob-bot'])
              assert.equal(s.copiesIn(key).length, 1, key);
            assert.equal(s.copiesIn('globex-1').length, 0);
            assert.match(s.copiesIn('acme-1')[0]?.markdown ?? '', /^Zpráva od <@personId:/);
            assert.match(
              s.copiesIn('alice-bot')[0]?.markdown ?? '',
              /^Zpráva od Gina Gold \(gina@globex\.example\):/,
            );
            assert.match(s.copiesIn('gina-bot')[0]?.markdown ?? '', /Doručeno do 4 z 5 prostorů/);
          },
        );
      });

      it('everywhere (no org checks), the sender 1-1 when configured', async () => {
        await withScenario(
          {
            transport,
            config: {
              source: { bots_own_org: false },
              destination: { senders_own_org: false, include_sender_direct: true },
            },
          },
          async (s) => {
            s.post('alice', { roomId: s.room('acme-1').id, markdown: `${s.mentionBot} all hands` });
            await s.waitFor('copies', () => s.copiesIn('globex-1').length === 1);
            await s.settled();
            for (const key of ['acme-2', 'globex-1', 'alice-bot', 'bob-bot', 'gina-bot']) {
              assert.ok(s.copiesIn(key).length >= 1, key);
            }
            assert.equal(s.copiesIn('acme-1').length, 0, 'never the source space');
          },
        );
      });
    });

    describe('membership', () => {
      it('added to an announcement-only space as a non-moderator: asks the adder once, in a 1-1', async () => {
        await withScenario({ transport }, async (s) => {
          const alice = s.person('alice');
          const space = s.world.createRoom(alice.id, {
            title: 'Town hall',
            isLocked: true,
            isAnnouncementOnly: true,
          });
          s.world.addMember(alice.id, space.id, s.botPerson.id, false);
          await s.waitFor('moderator request', () =>
            s.copiesIn('alice-bot').find((m) => /Announcement only/.test(m.markdown ?? '')),
          );
          s.world.removeMember(alice.id, space.id, s.botPerson.id);
          s.world.addMember(alice.id, space.id, s.botPerson.id, false);
          const other = s.world.createRoom(alice.id, { title: 'Plain' });
          s.world.addMember(alice.id, other.id, s.botPerson.id, false);
          await new Promise((r) => setTimeout(r, 300));
          const asks = s.copiesIn('alice-bot').filter((m) => /Announcement only/.test(m.markdown ?? ''));
          assert.equal(asks.length, 1, 'asked once');
          assert.match(asks[0]!.markdown ?? '', /\[Town hall\]\(webexteams:\/\/im\?space=[0-9a-f-]{36}\)/);
        });
      });

      it('added to a space of another org: says why and leaves, even when the notice is refused', async () => {
        await withScenario({ transport, config: { membership: { bots_own_org: true } } }, async (s) => {
          const gina = s.person('gina');
          const open = s.world.createRoom(gina.id, { title: 'Globex open' });
          const locked = s.world.createRoom(gina.id, {
            title: 'Globex news',
            isLocked: true,
            isAnnouncementOnly: true,
          });
          s.world.addMember(gina.id, open.id, s.botPerson.id, false);
          s.world.addMember(gina.id, locked.id, s.botPerson.id, false);
          await s.waitFor(
            'left both',
            () =>
              !s.world.membership(s.botPerson.id, open.id) && !s.world.membership(s.botPerson.id, locked.id),
          );
          const notice = [...s.world.messages.values()].find(
            (m) => m.roomId === open.id && m.personId === s.botPerson.id,
          );
          assert.equal(notice?.markdown, 'I am allowed to communicate only in Spaces owned by **Acme**');
        });
      });

      it('a third person joining a space of another org does not make the bot act', async () => {
        await withScenario({ transport, config: { membership: { bots_own_org: true } } }, async (s) => {
          const gina = s.person('gina');
          const globex = s.room('globex-1');
          s.world.addMember(gina.id, globex.id, s.person('alice').id, false);
          await new Promise((r) => setTimeout(r, 400));
          assert.ok(s.world.membership(s.botPerson.id, globex.id), 'the bot stays');
          assert.ok(s.world.membership(s.person('alice').id, globex.id), 'and so does the new member');
          assert.equal(s.copiesIn('globex-1').length, 0);
        });
      });
    });
  });
}

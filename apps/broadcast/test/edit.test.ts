/**
 * Edit propagation: when the sender edits the source, every copy is edited to match (PUT with the
 * composed markdown); copies Webex will not edit are listed in the report.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TRANSPORTS } from './scenario.js';
import { suiteScenario } from './suite-scenario.js';

const COPIES = ['acme-1', 'acme-2', 'bob-bot'];

for (const transport of TRANSPORTS) {
  describe(`edit propagation over ${transport}`, () => {
    const s = suiteScenario({ transport });

    it('an edit of the source edits every copy, and the report says so', async () => {
      const source = await s.postAndSettle('alice', {
        roomId: s.room('alice-bot').id,
        markdown: 'Meeting at **3pm**',
      });
      s.emu.control.edit('alice', source.id, { markdown: 'Meeting at **4pm**, room 2' });
      await s.waitFor('copies edited', () =>
        COPIES.every((k) => s.copiesIn(k)[0]?.markdown?.endsWith('Meeting at **4pm**, room 2')),
      );
      await s.settled();
      assert.equal(
        s.copiesIn('bob-bot')[0]?.markdown,
        'Message from Alice Archer (alice@acme.example):  \n\nMeeting at **4pm**, room 2',
      );
      for (const k of COPIES) assert.equal(s.copiesIn(k).length, 1, `${k}: edited in place, not re-sent`);
      const puts = s.emu.control.requests({ method: 'PUT', path: '/v1/messages/' });
      assert.equal(puts.filter((r) => r.status === 200).length, 3);
      const report = s.cardsIn('alice-bot');
      assert.equal(report.length, 1);
      assert.match(report[0]!.markdown ?? '', /Delivered to 3 of 4 spaces\./);
      assert.match(report[0]!.markdown ?? '', /Edited: 3 of 3 copies show the new text\./);
    });

    it('a copy at its edit limit is listed in the report as not edited', async () => {
      s.emu.control.clearRequests();
      const source = await s.postAndSettle('alice', { roomId: s.room('alice-bot').id, text: 'draft one' });
      // Webex allows 10 edits per message (docs/protocol.md §7.4): use them up on one copy behind the bot's back.
      const stuck = s.world.messages.get(s.copiesIn('acme-2').at(-1)!.id)!;
      stuck.editCount = 10;
      s.emu.control.edit('alice', source.id, { text: 'draft two' });
      await s.waitFor('other copies edited', () =>
        ['acme-1', 'bob-bot'].every((k) => s.copiesIn(k).at(-1)?.markdown?.endsWith('draft two')),
      );
      await s.settled();
      assert.match(s.copiesIn('acme-2').at(-1)?.markdown ?? '', /draft one$/);
      const report = s.cardsIn('alice-bot').at(-1)!.markdown ?? '';
      assert.match(report, /Edited: 2 of 3 copies show the new text\./);
      assert.match(report, /Not edited:\s+- Acme Two: edit limit reached/);
    });

    it('edits of a recalled broadcast change nothing', async () => {
      const source = await s.postAndSettle('alice', {
        roomId: s.room('alice-bot').id,
        text: 'to be recalled',
      });
      await s.postAndSettle('alice', { roomId: s.room('alice-bot').id, text: 'recall' });
      s.emu.control.clearRequests();
      s.emu.control.edit('alice', source.id, { text: 'edited after recall' });
      await new Promise((r) => setTimeout(r, 300));
      await s.settled();
      assert.equal(s.emu.control.requests({ method: 'PUT' }).length, 0);
    });
  });
}

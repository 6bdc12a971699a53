/**
 * Recall: `recall` (or the report card's button) deletes every copy of a broadcast; only the sender
 * or a configured admin may; deletions are durable work that survives a restart in the middle.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { manySpacesSeed } from '@herald/emulator';
import { decodeId } from '@herald/webex';
import type { Seed } from '../../../packages/emulator/src/state/types.js';
import { type Scenario, TRANSPORTS, withScenario } from './scenario.js';
import { suiteScenario } from './suite-scenario.js';

const COPIES = ['acme-1', 'acme-2', 'bob-bot'];

function reportOf(s: Scenario): string {
  const cards = s.cardsIn('alice-bot');
  assert.equal(cards.length, 1, 'one report card at a time');
  return cards[0]!.markdown ?? '';
}

for (const transport of TRANSPORTS) {
  describe(`recall over ${transport}`, () => {
    const s = suiteScenario({ transport, config: { admins: ['Gina@Globex.example'] } });

    it('`recall` from the sender deletes every copy and the report says how many', async () => {
      await s.postAndSettle('alice', { roomId: s.room('alice-bot').id, text: 'oops, wrong numbers' });
      for (const key of COPIES) assert.equal(s.copiesIn(key).length, 1, key);
      const copyIds = COPIES.map((k) => s.copiesIn(k)[0]!.id);
      s.post('alice', { roomId: s.room('alice-bot').id, text: 'recall' });
      await s.waitFor('copies deleted', () => COPIES.every((k) => s.copiesIn(k).length === 0));
      await s.settled();
      assert.ok(copyIds.every((id) => s.world.messages.get(id)?.deleted));
      const report = reportOf(s);
      assert.match(report, /Delivered to 3 of 4 spaces\./);
      assert.match(report, /Recalled: 3 of 3 copies removed\./);
      const card = s.cardsIn('alice-bot')[0]!;
      assert.equal(
        (card.attachments[0]!.content as { actions?: unknown[] }).actions,
        undefined,
        'no Recall button once recalled',
      );
    });

    it('the Recall button on the report card, pressed twice, recalls once', async () => {
      await s.postAndSettle('alice', { roomId: s.room('alice-bot').id, text: 'second thoughts' });
      const report = s
        .cardsIn('alice-bot')
        .find((m) => /Delivered to 3 of 4/.test(m.markdown ?? '') && !/Recalled/.test(m.markdown ?? ''))!;
      s.emu.control.clearRequests();
      s.press('alice', report, 'Recall this broadcast');
      s.press('alice', report, 'Recall this broadcast');
      await s.waitFor('copies deleted', () => COPIES.every((k) => s.copiesIn(k).length === 0));
      await s.settled();
      const deletes = s.emu.control
        .requests({ method: 'DELETE', path: '/v1/messages/' })
        .filter((r) => r.personId === s.botPerson.id && r.status === 204);
      // Three copies and the replaced report card.
      assert.equal(deletes.length, 4);
      assert.match(s.cardsIn('alice-bot').at(-1)!.markdown ?? '', /Recalled: 3 of 3 copies removed\./);
    });

    it('someone else may not recall; an admin may, by replying `recall` to a copy', async () => {
      await s.postAndSettle('alice', { roomId: s.room('alice-bot').id, text: 'keep this one' });
      const bobCopy = s.copiesIn('bob-bot')[0]!;
      s.post('bob', { roomId: s.room('bob-bot').id, text: 'recall', parentId: bobCopy.id });
      await s.waitFor('refusal', () =>
        s.copiesIn('bob-bot').find((m) => /Only the sender or an admin/.test(m.markdown ?? '')),
      );
      await s.settled();
      for (const key of COPIES)
        assert.equal(s.copiesIn(key).filter((m) => /keep this one/.test(m.markdown ?? '')).length, 1);

      // Gina (another org) is an admin; she is in a space with a copy once the policy lets her be.
      const gina = s.person('gina');
      s.world.addMember(s.person('bob').id, s.room('acme-2').id, gina.id, false);
      const copy = s.copiesIn('acme-2').find((m) => /keep this one/.test(m.markdown ?? ''))!;
      s.post('gina', { roomId: s.room('acme-2').id, markdown: `${s.mentionBot} recall`, parentId: copy.id });
      await s.waitFor('recalled by the admin', () =>
        COPIES.every((k) => !s.copiesIn(k).some((m) => /keep this one/.test(m.markdown ?? ''))),
      );
      await s.settled();
      assert.ok(
        s
          .copiesIn('gina-bot')
          .some((m) => /Recalling the broadcast from Alice Archer/.test(m.markdown ?? '')),
      );
    });
  });
}

const ROOMS = 40;

function seed(): Seed {
  return manySpacesSeed({ spaces: ROOMS, botToken: 'SCENARIO_BOT_TOKEN', personToken: 'ALICE', prefix: 'r' });
}

for (const transport of TRANSPORTS) {
  describe(`recall across a restart over ${transport}`, () => {
    it(`a recall of ${ROOMS} copies stopped half way resumes: every copy deleted exactly once, reported`, async () => {
      await withScenario(
        {
          transport,
          seed: seed(),
          config: { delivery: { rate_per_second: 40, workers: 2, lease_seconds: 30, max_attempts: 5 } },
        },
        async (s) => {
          const rooms = Array.from({ length: ROOMS }, (_, i) => `r${i}`);
          s.post('alice', { roomId: s.room('alice-bot').id, text: 'all hands at 3' });
          await s.waitFor('copies', () => rooms.every((k) => s.copiesIn(k).length === 1), 30_000);
          await s.settled(30_000);
          const copyIds = new Set(rooms.map((k) => s.copiesIn(k)[0]!.id));
          // The emulator lets the bot delete 10 a second: the recall takes a few seconds.
          s.emu.control.setRateLimits({ deletePerToken: { capacity: 10, perSecond: 10 } });
          s.emu.control.clearRequests();
          s.post('alice', { roomId: s.room('alice-bot').id, text: 'recall' });
          const deleted = () => [...copyIds].filter((id) => s.world.messages.get(id)?.deleted).length;
          await s.waitFor('some copies deleted', () => deleted() >= 8, 30_000);
          await s.bot.stop();
          const atStop = deleted();
          assert.ok(atStop < ROOMS, `stopped mid-recall (${atStop} of ${ROOMS} deleted)`);
          await s.restart();
          await s.waitFor('every copy deleted', () => deleted() === ROOMS, 60_000);
          await s.settled(30_000);
          const okDeletes = s.emu.control
            .requests({ method: 'DELETE', path: '/v1/messages/' })
            .filter((r) => r.personId === s.botPerson.id && r.status === 204)
            .map((r) => decodeId(r.path.split('/').pop()!.split('?')[0]!)?.uuid);
          const copyDeletes = okDeletes.filter((id) => id !== undefined && copyIds.has(id));
          assert.equal(copyDeletes.length, ROOMS, 'one successful DELETE per copy');
          assert.equal(new Set(copyDeletes).size, ROOMS, 'no copy deleted twice');
          const report = s.cardsIn('alice-bot');
          assert.equal(report.length, 1);
          assert.match(report[0]!.markdown ?? '', new RegExp(`Delivered to ${ROOMS} of ${ROOMS} spaces\\.`));
          assert.match(
            report[0]!.markdown ?? '',
            new RegExp(`Recalled: ${ROOMS} of ${ROOMS} copies removed\\.`),
          );
        },
      );
    });
  });
}

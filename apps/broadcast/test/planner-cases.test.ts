/**
 * Planning cases that went wrong at scale, over both transports: the sender's 1-1 with the bot is
 * never a destination (with or without messages in it, whether the request came from a 1-1 or a
 * group), and a file that cannot be downloaded in time does not hold the text back.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Scenario, TRANSPORTS } from './scenario.js';
import { suiteScenario } from './suite-scenario.js';

/** REST calls the bot made since the log was cleared, and the budget N + listing pages + 5. */
function budget(s: Scenario, copies: number): { calls: number; limit: number } {
  const bot = s.person('bot');
  const calls = s.emu.control.requests({ personId: bot.id }).filter((r) => r.path.startsWith('/v1/'));
  const pages = calls.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/rooms')).length;
  return { calls: calls.length, limit: copies + pages + 5 };
}

for (const transport of TRANSPORTS) {
  describe(`planning over ${transport}`, () => {
    describe('the sender 1-1 holds no message yet', () => {
      const s = suiteScenario({ transport });

      it('an @mention in a group: no copy in the sender empty 1-1, within N + pages + 5 calls', async () => {
        assert.equal(s.world.messages.size, 0, 'nothing was said anywhere yet');
        s.emu.control.clearRequests();
        s.post('alice', { roomId: s.room('acme-1').id, markdown: `${s.mentionBot} first words` });
        await s.waitFor('copy in acme-2', () => s.copiesIn('acme-2').length === 1);
        await s.settled();
        assert.equal(s.copiesIn('bob-bot').length, 1, 'another person 1-1 gets its copy');
        const inAliceDirect = s.copiesIn('alice-bot');
        assert.equal(inAliceDirect.length, 1, 'only the report goes to the sender 1-1');
        assert.match(inAliceDirect[0]!.markdown ?? '', /Broadcast report/);
        // acme-2, bob-bot, and the refused announcement space.
        const { calls, limit } = budget(s, 3);
        assert.ok(calls <= limit, `${calls} REST calls, budget ${limit}`);
      });

      it('a second broadcast from a 1-1 still leaves that 1-1 out', async () => {
        s.post('alice', { roomId: s.room('alice-bot').id, text: 'from my 1-1' });
        await s.waitFor('second copy in acme-2', () => s.copiesIn('acme-2').length === 2);
        await s.settled();
        const copies = s.copiesIn('alice-bot').filter((m) => !/Broadcast report/.test(m.markdown ?? ''));
        assert.deepEqual(copies, [], 'no copy in the sender 1-1');
      });
    });

    describe('a file that cannot be fetched', () => {
      const s = suiteScenario({ transport, config: { delivery: { file_wait_seconds: 2 } } });

      const downloads = () =>
        s.emu.control.requests({ method: 'GET' }).filter((r) => r.path.startsWith('/v1/contents/'));

      it('still being scanned past the bound: the text goes out, the report says the file was left out', async () => {
        s.emu.control.clearRequests();
        const m = s.post('alice', {
          roomId: s.room('alice-bot').id,
          text: 'the deck',
          files: [{ name: 'deck.bin', contentType: 'application/octet-stream', bytes: Buffer.from('x') }],
        });
        // Scanned for ever (far more polls than the bot may wait for).
        s.world.files.get(m.files[0]!)!.scanPollsLeft = 1000;
        await s.waitFor('copy in acme-2', () => s.copiesIn('acme-2').length === 1, 20_000);
        await s.settled();
        for (const key of ['acme-1', 'acme-2', 'bob-bot']) {
          const copy = s.copiesIn(key).at(-1)!;
          assert.equal(copy.files.length, 0, `${key}: no file`);
          assert.match(copy.markdown ?? '', /the deck$/, key);
        }
        const report = s.copiesIn('alice-bot').at(-1)!;
        assert.match(report.markdown ?? '', /The file was not attached to the copies: still being scanned\./);
        // 423 with Retry-After 1 s and a 2 s bound: the first poll and two more, never again.
        assert.ok(downloads().length <= 3, `${downloads().length} downloads`);
      });

      it('refused for good (410 infected): the text goes out once, the reason is reported', async () => {
        s.emu.control.clearRequests();
        const before2 = s.copiesIn('acme-2').length;
        const m = s.post('alice', {
          roomId: s.room('alice-bot').id,
          text: 'the bad deck',
          files: [{ name: 'bad.bin', contentType: 'application/octet-stream', bytes: Buffer.from('y') }],
        });
        s.world.files.get(m.files[0]!)!.scanResult = 'infected';
        await s.waitFor('copy in acme-2', () => s.copiesIn('acme-2').length === before2 + 1);
        await s.settled();
        assert.equal(s.copiesIn('acme-2').at(-1)!.files.length, 0);
        assert.match(s.copiesIn('alice-bot').at(-1)!.markdown ?? '', /not attached to the copies: 410/);
        assert.equal(downloads().length, 1, 'a refusal is not asked again');
      });
    });
  });
}

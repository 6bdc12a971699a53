/**
 * Function mode on Lambda's programming model (lambda-local) against the emulator and PostgreSQL:
 * the webhook records, drains send; budgets, concurrent drains, forged and repeated deliveries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { manySpacesSeed } from '@herald/emulator';
import { decodeId, signWebexBody } from '@herald/webex';
import type { DrainReport } from '../../src/functions/core.js';
import { type Rig, SKIP, startRig } from './rig.js';

const SPACES = 300;
const seed = () =>
  manySpacesSeed({ spaces: SPACES, botToken: 'FN_BOT', personToken: 'FN_ALICE', prefix: 'r' });

describe('function mode on Lambda (lambda-local)', { skip: SKIP }, () => {
  let rig: Rig;
  let spaceIds: string[];
  before(async () => {
    // 50 copies a second: 300 copies need six seconds of sending, more than one 5 s drain holds.
    rig = await startRig({
      seed: seed(),
      token: 'FN_BOT',
      config: { delivery: { rate_per_second: 50, workers: 4, lease_seconds: 30, max_attempts: 3 } },
    });
    spaceIds = Array.from({ length: SPACES }, (_, i) => rig.room(`r${i}`).id);
  });
  after(() => rig?.stop());

  it('a forged webhook is refused with 401, and nothing is recorded or fetched', async () => {
    rig.emu.control.clearRequests();
    const body = JSON.stringify({
      resource: 'messages',
      event: 'created',
      data: {
        id: 'Y2lzY29zcGFyazovL3VzL01FU1NBR0UvZm9yZ2Vk',
        roomId: rig.room('alice-bot').id,
        personId: 'x',
      },
    });
    const forged = signWebexBody('not-the-secret-0123456789', body);
    const r = await rig.webhook({ 'content-type': 'application/json', 'x-spark-signature': forged }, body);
    assert.equal(r.statusCode, 401);
    const unsigned = await rig.webhook({ 'content-type': 'application/json' }, body);
    assert.equal(unsigned.statusCode, 401);
    assert.equal(rig.emu.control.requests({}).length, 0, 'no REST call for a forged delivery');
    await rig.store.migrate();
    assert.deepEqual(await rig.store.recentBroadcasts(10), []);
    assert.equal(rig.kicks, 0);
  });

  it(`a ${SPACES}-space broadcast: the webhook records every delivery and sends none; drains of 5 s complete it`, async (t) => {
    const m = await rig.post('alice', { roomId: rig.room('alice-bot').id, text: 'function news' });
    const counts = await rig.store.countDeliveries();
    assert.equal(counts.pending, SPACES, 'every delivery recorded by the webhook call');
    assert.equal(rig.copies(spaceIds).size, 0, 'no copy sent by the webhook call');
    assert.ok(rig.kicks >= 1, 'the webhook started a drain');

    // The same delivery again (Webex may send an event twice): one broadcast.
    const first = rig.received.find((d) => {
      const envelope = JSON.parse(d.body) as { resource: string; data: { id: string } };
      return envelope.resource === 'messages' && decodeId(envelope.data.id)?.uuid === m.id;
    });
    assert.ok(first);
    const again = await rig.webhook(first.headers, first.body);
    assert.equal(again.statusCode, 200);
    assert.equal((await rig.store.recentBroadcasts(10)).length, 1, 'one broadcast for a repeated event');
    assert.equal((await rig.store.countDeliveries()).pending, SPACES);

    const reports = await rig.drainUntilIdle();
    t.diagnostic(reports.map((r) => `${r.ended}:${r.deliveries.sent}`).join(' '));
    const sent = reports.reduce((n, r) => n + r.deliveries.sent, 0);
    assert.ok(reports.length >= 2, `took ${reports.length} drains`);
    assert.ok(
      reports.slice(0, -1).every((r) => r.ended === 'budget'),
      'drains before the last stopped at their budget',
    );
    assert.equal(sent, SPACES);
    const c = rig.copies(spaceIds);
    assert.equal(c.size, SPACES, 'every space has its copy');
    assert.ok(
      [...c.values()].every((n) => n === 1),
      'one copy each',
    );
    const report = [...rig.world.messages.values()].find(
      (x) => x.personId === rig.bot.id && x.roomId === m.roomId && /Delivered to/.test(x.markdown ?? ''),
    );
    assert.ok(report, 'the sender got the report');
  });

  it('two drains at once share the work and send each copy once', async () => {
    await rig.post('alice', { roomId: rig.room('alice-bot').id, text: 'twice the drains' });
    const before = new Map(rig.copies(spaceIds));
    const all: DrainReport[] = [];
    for (let round = 0; round < 20; round++) {
      const pair = await Promise.all([rig.drain(), rig.drain()]);
      all.push(...pair);
      if (pair.every((r) => r.ended === 'idle') && (await rig.store.isIdle())) break;
    }
    const after = rig.copies(spaceIds);
    for (const id of spaceIds)
      assert.equal((after.get(id) ?? 0) - (before.get(id) ?? 0), 1, `one new copy in ${id}`);
    const sentBy = [0, 1].map((k) =>
      all.filter((_, i) => i % 2 === k).reduce((n, r) => n + r.deliveries.sent, 0),
    );
    assert.equal(sentBy[0]! + sentBy[1]!, SPACES);
    assert.ok(
      sentBy.every((n) => n > 0),
      `both drains sent copies (${sentBy.join(' + ')})`,
    );
  });
});

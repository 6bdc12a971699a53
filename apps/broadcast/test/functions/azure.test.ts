/**
 * Function mode on Azure Functions' programming model: the handlers get `@azure/functions`' own
 * `HttpRequest` and `InvocationContext`; the webhook queues a drain through the queue output
 * binding. Report, recall and edit work as in the long-running bot.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BOT_TOKEN, twoOrgSeed } from '../scenario.js';
import { type Rig, SKIP, startRig } from './rig.js';

const COPIES = ['acme-1', 'acme-2', 'bob-bot'];

describe('function mode on Azure Functions (@azure/functions)', { skip: SKIP }, () => {
  let rig: Rig;
  const inRoom = (key: string) => [...rig.copies([rig.room(key).id]).values()][0] ?? 0;
  const botMessagesIn = (key: string) =>
    [...rig.world.messages.values()].filter(
      (m) => m.roomId === rig.room(key).id && m.personId === rig.bot.id && !m.deleted,
    );
  before(async () => {
    rig = await startRig({ seed: twoOrgSeed, token: BOT_TOKEN, entry: 'azure' });
  });
  after(() => rig?.stop());

  it('a broadcast: the webhook queues a drain; drains send the copies and the report', async () => {
    await rig.post('alice', { roomId: rig.room('alice-bot').id, text: 'azure news' });
    assert.ok(rig.kicks >= 1, 'the webhook put a drain on the queue');
    for (const key of COPIES) assert.equal(inRoom(key), 0, `nothing sent before a drain (${key})`);
    await rig.drainUntilIdle();
    for (const key of COPIES) assert.equal(inRoom(key), 1, key);
    const report = botMessagesIn('alice-bot').find((m) =>
      /Delivered to 3 of 4 spaces/.test(m.markdown ?? ''),
    );
    assert.ok(report, 'the report card');
  });

  it('`recall` deletes every copy and the report says so', async () => {
    await rig.post('alice', { roomId: rig.room('alice-bot').id, text: 'recall' });
    await rig.drainUntilIdle();
    for (const key of COPIES) assert.equal(inRoom(key), 0, `recalled in ${key}`);
    assert.ok(
      botMessagesIn('alice-bot').some((m) => /Recalled: 3 of 3 copies removed\./.test(m.markdown ?? '')),
      'the report tells the recall',
    );
  });

  it('an edit of the source edits every copy', async () => {
    const source = await rig.post('alice', { roomId: rig.room('alice-bot').id, text: 'meeting at 3pm' });
    await rig.drainUntilIdle();
    rig.emu.control.edit('alice', source.id, { text: 'meeting at 4pm' });
    await rig.emu.control.webhooks.idle();
    await rig.drainUntilIdle();
    for (const key of COPIES) {
      const copy = botMessagesIn(key).find((m) => /meeting at/.test(m.markdown ?? m.text ?? ''));
      assert.match(copy?.markdown ?? copy?.text ?? '', /4pm/, `edited in ${key}`);
    }
  });
});

// The official SDK, webex 3.12.0, loaded as webex-core plus the bot plugins (webex/webex-js-sdk#3510),
// unmodified, against the emulator over real sockets: discovery, WDM, Mercury, KMS and REST.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningEmulator } from '@herald/emulator';
import { Client, emulator, TOKENS } from './harness.js';

const CARD = {
  type: 'AdaptiveCard',
  version: '1.2',
  body: [{ type: 'Input.Text', id: 'answer' }],
  actions: [{ type: 'Action.Submit', title: 'Send' }],
};

describe('webex 3.12.0 against the emulator', () => {
  let emu: RunningEmulator;
  let sdk: Client;
  const roomId = (key: string) => emu.control.room(key).id;
  const created = (text: string, from: number) =>
    sdk.next(
      (e) => e.name === 'messages:created' && e.data?.text === text,
      `messages:created "${text}"`,
      from,
    );

  before(async () => {
    emu = await emulator();
    sdk = new Client('sdk3.cjs', { EMULATOR_URL: emu.url, WEBEX_TOKEN: TOKENS.bot });
    await sdk.ready;
  });
  after(async () => {
    await sdk?.close();
    await emu?.stop();
  });

  it('messages.listen() and attachmentActions.listen() settle with a registered device', async () => {
    const deviceUrl = await sdk.call<string>('listen');
    assert.equal(emu.control.mercury.devices('bot')[0]?.url, deviceUrl);
    assert.equal(emu.control.mercury.socketCount('bot'), 1);
  });

  it('a 1-1 message arrives as messages:created with its text', async () => {
    const from = sdk.events.length;
    emu.control.post('alice', { room: 'direct', text: 'hello bot' });
    const e = await created('hello bot', from);
    assert.equal(e.data?.roomId, roomId('direct'));
    assert.equal(e.data?.roomType, 'direct');
    assert.equal(e.data?.personEmail, 'alice@acme.example');
  });

  it('a group @mention arrives; a group message without one does not', async () => {
    const from = sdk.events.length;
    emu.control.post('alice', { room: 'group', text: 'not for the bot' });
    emu.control.post('alice', { room: 'group', markdown: '<@personEmail:herald@webex.bot|Herald> status?' });
    const e = await created('Herald status?', from);
    assert.equal(e.data?.roomType, 'group');
    assert.deepEqual(e.data?.mentionedPeople, [emu.control.person('bot').id]);
    const texts = sdk.events.slice(from).map((x) => x.data?.text);
    assert.ok(!texts.includes('not for the bot'), 'the unmentioned group message never reached the bot');
  });

  it('messages.create, rooms.list, memberships.list and people.get work', async () => {
    const sent = await sdk.call<Record<string, unknown>>('messagesCreate', {
      roomId: roomId('group'),
      markdown: '**ready**',
    });
    assert.equal(sent.roomId, roomId('group'));
    assert.equal(emu.control.messages('group').at(-1)?.id, sent.id);
    const rooms = await sdk.call<Array<{ id: string }>>('roomsList', {});
    assert.deepEqual(rooms.map((r) => r.id).sort(), [roomId('direct'), roomId('group')].sort());
    const members = await sdk.call<Array<{ personEmail: string }>>('membershipsList', {
      roomId: roomId('group'),
    });
    assert.deepEqual(members.map((m) => m.personEmail).sort(), ['alice@acme.example', 'herald@webex.bot']);
    const alice = await sdk.call<{ id: string; emails: string[]; displayName: string }>(
      'peopleGet',
      emu.control.person('alice').id,
    );
    assert.equal(alice.displayName, 'Alice Archer');
    assert.deepEqual(alice.emails, ['alice@acme.example']);
  });

  it('attachmentActions.listen() gets a card submission and attachmentActions.get() returns its inputs', async () => {
    const card = await sdk.call<{ id: string }>('messagesCreate', {
      roomId: roomId('direct'),
      text: 'Answer, please',
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: CARD }],
    });
    const from = sdk.events.length;
    emu.control.submitCard('alice', card.id, { answer: 'forty-two' });
    const e = await sdk.next(
      (x) => x.name === 'attachmentActions:created',
      'attachmentActions:created',
      from,
    );
    assert.equal(e.data?.messageId, card.id);
    assert.equal(e.data?.personId, emu.control.person('alice').id);
    const action = await sdk.call<{ id: string; inputs: unknown; messageId: string }>(
      'attachmentActionsGet',
      e.data?.id,
    );
    assert.deepEqual(action.inputs, { answer: 'forty-two' });
    assert.equal(action.messageId, card.id);
  });

  it('memberships.listen() and rooms.listen() see the bot added to a new space, with ids REST accepts', async () => {
    const from = sdk.events.length;
    const room = emu.control.createRoom('alice', { title: 'Planning', members: ['bot'] });
    const added = await sdk.next(
      (e) => e.name === 'memberships:created' && e.data?.personEmail === 'herald@webex.bot',
      'memberships:created for the bot',
      from,
    );
    assert.equal(added.data?.roomId, room.id);
    assert.equal(added.data?.roomType, 'group');
    const membership = await sdk.call<{ id: string; personId: string }>('membershipsGet', added.data?.id);
    assert.equal(membership.personId, emu.control.person('bot').id);
    const fetched = await sdk.call<{ id: string; title: string }>('roomsGet', room.id);
    assert.equal(fetched.title, 'Planning');
  });

  it('keeps receiving through a dropped socket', async () => {
    const from = sdk.events.length;
    assert.equal(emu.control.mercury.dropSockets('bot'), 1);
    await sdk.next((e) => e.name === 'mercury:online', 'mercury online again', from);
    emu.control.post('alice', { room: 'direct', text: 'after the drop' });
    await created('after the drop', from);
  });

  it('keeps receiving through a Mercury shutdown (make-before-break; the emulator then closes the old socket with 4001)', async () => {
    const from = sdk.events.length;
    const authorized = new Promise<void>((resolve) => {
      const off = emu.control.mercury.onAuthorized(({ personId }) => {
        if (personId === emu.control.person('bot').uuid) {
          off();
          resolve();
        }
      });
    });
    assert.equal(emu.control.mercury.shutdown('bot'), 1);
    await authorized;
    emu.control.post('alice', { room: 'direct', text: 'after shutdown' });
    await created('after shutdown', from);
    assert.equal(emu.control.mercury.socketCount('bot'), 1);
  });

  it('had no unhandled rejection and did not exit, the whole run', async () => {
    assert.equal(await sdk.call('stop'), true);
    sdk.assertHealthy();
  });
});

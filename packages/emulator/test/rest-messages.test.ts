import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeId } from '@herald/webex';
import type { Change } from '../src/state/types.js';
import { type Harness, harness, TOKENS } from './helpers.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(() => h.emu.stop());

type Msg = Record<string, unknown> & { id: string };

test('pagination: 250 messages walked newest first through exactly one Link rel="next"', async () => {
  const room = h.roomId('general');
  const sent: string[] = [];
  for (let i = 0; i < 250; i++) {
    h.clock.now += 10;
    sent.push(h.emu.control.post('alice', { room: 'general', text: `m${i}` }).id as string);
  }
  const seen: string[] = [];
  let url: string | undefined = `/v1/messages?roomId=${room}&max=100`;
  let pages = 0;
  while (url) {
    const res = await h.call(TOKENS.bob, 'GET', url);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { items: Msg[] };
    seen.push(...body.items.map((m) => m.id));
    pages++;
    const link = res.headers.get('link');
    if (link) {
      const m = /^<(http:\/\/127\.0\.0\.1:\d+\/v1\/messages\?[^>]+)>; rel="next"$/.exec(link);
      assert.ok(m, `one absolute next link: ${link}`);
      url = m[1];
    } else url = undefined;
  }
  assert.equal(pages, 3);
  assert.deepEqual(seen, [...sent].reverse());
  // before / beforeMessage
  const older = await h.items<Msg>(TOKENS.bob, `/v1/messages?roomId=${room}&beforeMessage=${sent[5]}`);
  assert.deepEqual(
    older.map((m) => m.id),
    sent.slice(0, 5).reverse(),
  );
  const at = h.emu.world.messages.get(decodeId(sent[3]!)!.uuid)!.created;
  const beforeTime = await h.items<Msg>(TOKENS.bob, `/v1/messages?roomId=${room}&before=${at}&max=10`);
  assert.deepEqual(
    beforeTime.map((m) => m.id),
    sent.slice(0, 3).reverse(),
  );
  assert.equal((await h.json(TOKENS.bob, 'GET', '/v1/messages')).status, 400, 'roomId required');
});

test('mentions over REST: two people and @all render to html, text, mentionedPeople, mentionedGroups', async () => {
  const r = await h.json<Msg>(TOKENS.alice, 'POST', '/v1/messages', {
    roomId: h.roomId('general'),
    markdown: `<@personId:${h.personId('bot')}|Herald> ask <@personEmail:bob@acme.example|Bob> and <@all>`,
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.mentionedPeople, [h.personId('bot'), h.personId('bob')]);
  assert.deepEqual(r.body.mentionedGroups, ['all']);
  assert.equal(r.body.text, 'Herald ask Bob and All');
  assert.equal(
    r.body.html,
    `<p><spark-mention data-object-type="person" data-object-id="${h.personId('bot')}">Herald</spark-mention> ask ` +
      `<spark-mention data-object-type="person" data-object-id="${h.personId('bob')}">Bob</spark-mention> and ` +
      '<spark-mention data-object-type="groupMention" data-group-type="all">All</spark-mention></p>',
  );
  assert.match(String(r.body.created), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  // the bot can read it (it is mentioned) and list it with mentionedPeople=me
  assert.equal((await h.json(TOKENS.bot, 'GET', `/v1/messages/${r.body.id}`)).status, 200);
  const mine = await h.items<Msg>(
    TOKENS.bot,
    `/v1/messages?roomId=${h.roomId('general')}&mentionedPeople=me&max=100`,
  );
  assert.deepEqual(
    mine.map((m) => m.id),
    [r.body.id],
  );
  assert.equal(
    (await h.json(TOKENS.bot, 'GET', `/v1/messages?roomId=${h.roomId('general')}&mentionedPeople=me&max=101`))
      .status,
    400,
  );
});

test('bot visibility: listing a group room without mentionedPeople 403, an unmentioned message 404', async () => {
  const plain = await h.json<Msg>(TOKENS.alice, 'POST', '/v1/messages', {
    roomId: h.roomId('general'),
    text: 'not for bots',
  });
  assert.equal((await h.json(TOKENS.bot, 'GET', `/v1/messages?roomId=${h.roomId('general')}`)).status, 403);
  assert.equal((await h.json(TOKENS.bot, 'GET', `/v1/messages/${plain.body.id}`)).status, 404);
  assert.equal((await h.json(TOKENS.bob, 'GET', `/v1/messages/${plain.body.id}`)).status, 200);
  assert.equal(
    (await h.json(TOKENS.alice, 'GET', `/v1/messages/${h.roomId('general')}`)).status,
    404,
    'wrong id type',
  );
  // in a 1-1 room the bot sees everything and may list
  await h.json(TOKENS.alice, 'POST', '/v1/messages', { roomId: h.roomId('alice-bot'), text: 'hello bot' });
  const direct = await h.items<Msg>(TOKENS.bot, `/v1/messages?roomId=${h.roomId('alice-bot')}`);
  assert.equal(direct[0]?.text, 'hello bot');
  assert.equal(direct[0]?.roomType, 'direct');
});

test('posting rules: membership 404, announcement-only 403, 7,439 bytes ok and 7,440 refused, bad combinations 400', async () => {
  const post = (token: string, body: unknown) => h.json<Msg>(token, 'POST', '/v1/messages', body);
  assert.equal((await post(TOKENS.carol, { roomId: h.roomId('news'), text: 'x' })).status, 404);
  const refused = await post(TOKENS.bot, { roomId: h.roomId('news'), text: 'x' });
  assert.equal(refused.status, 403);
  assert.equal(
    (await post(TOKENS.alice, { roomId: h.roomId('news'), text: 'from a moderator' })).status,
    200,
  );
  const room = h.roomId('general');
  const exact = 'é'.repeat(3719) + 'a';
  assert.equal(Buffer.byteLength(exact), 7439);
  assert.equal((await post(TOKENS.alice, { roomId: room, text: exact })).status, 200);
  assert.equal((await post(TOKENS.alice, { roomId: room, markdown: `${exact}b` })).status, 400);
  assert.equal((await post(TOKENS.alice, { roomId: room })).status, 400, 'no content');
  assert.equal((await post(TOKENS.alice, { text: 'x' })).status, 400, 'no target');
  assert.equal(
    (await post(TOKENS.alice, { roomId: room, toPersonEmail: 'bob@acme.example', text: 'x' })).status,
    400,
  );
  assert.equal(
    (await post(TOKENS.alice, { toPersonId: h.personId('alice'), text: 'x' })).status,
    400,
    'self',
  );
  assert.equal(
    (await post(TOKENS.alice, { roomId: room, files: ['https://e.example/a', 'https://e.example/b'] }))
      .status,
    400,
  );
  const card = { contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard' } };
  assert.equal(
    (await post(TOKENS.alice, { roomId: room, text: 'x', attachments: [card, card] })).status,
    400,
  );
  assert.equal(
    (await post(TOKENS.alice, { roomId: room, files: ['https://e.example/a.pdf'], attachments: [card] }))
      .status,
    400,
  );
  const urlFile = await post(TOKENS.alice, { roomId: room, files: ['https://files.example/reports/q1.pdf'] });
  assert.equal(urlFile.status, 200);
  const fileRes = await h.call(TOKENS.bob, 'GET', (urlFile.body.files as string[])[0]!);
  assert.equal(fileRes.headers.get('content-disposition'), 'attachment; filename="q1.pdf"');
  assert.equal(fileRes.headers.get('content-type'), 'application/pdf');
});

test('implicit 1-1: the first toPersonEmail message creates the room with events in order and audiences', async () => {
  const changes: Change[] = [];
  const listener = (c: Change) => changes.push(c);
  h.emu.world.events.on('change', listener);
  const first = await h.json<Msg>(TOKENS.bob, 'POST', '/v1/messages', {
    toPersonEmail: 'herald@webex.bot',
    text: 'hi bot',
  });
  h.emu.world.events.off('change', listener);
  assert.equal(first.status, 200);
  assert.equal(first.body.roomType, 'direct');
  assert.equal(first.body.toPersonEmail, 'herald@webex.bot');
  assert.deepEqual(
    changes.map((c) => c.kind),
    ['room.created', 'membership.created', 'membership.created', 'message.created'],
  );
  for (let i = 1; i < changes.length; i++) assert.ok(changes[i]!.seq > changes[i - 1]!.seq);
  const botUuid = h.emu.world.keys.people.get('bot')!;
  const bobUuid = h.emu.world.keys.people.get('bob')!;
  for (const c of changes)
    assert.deepEqual(
      h.emu.world
        .audience(c)
        .map((p) => p.id)
        .sort(),
      [botUuid, bobUuid].sort(),
    );
  const again = await h.json<Msg>(TOKENS.bob, 'POST', '/v1/messages', {
    toPersonId: h.personId('bot'),
    text: 'again',
  });
  assert.equal(again.body.roomId, first.body.roomId);
  const direct = await h.items<Msg>(TOKENS.bot, '/v1/messages/direct?personEmail=bob@acme.example');
  assert.deepEqual(
    direct.map((m) => m.text),
    ['again', 'hi bot'],
  );
  const none = await h.items<Msg>(TOKENS.bot, `/v1/messages/direct?personId=${h.personId('carol')}`);
  assert.deepEqual(none, []);
});

test('edit (PUT) and delete: roomId required, html refused, own only, limit of 10; moderators delete others', async () => {
  const room = h.roomId('general');
  const m = await h.json<Msg>(TOKENS.alice, 'POST', '/v1/messages', { roomId: room, text: 'v0' });
  const url = `/v1/messages/${m.body.id}`;
  assert.equal((await h.json(TOKENS.alice, 'PUT', url, { text: 'v1' })).status, 400);
  assert.equal(
    (await h.json(TOKENS.alice, 'PUT', url, { roomId: room, text: 'v1', html: '<p>x</p>' })).status,
    400,
  );
  assert.equal((await h.json(TOKENS.bob, 'PUT', url, { roomId: room, text: 'v1' })).status, 403);
  for (let i = 1; i <= 10; i++) {
    const e = await h.json<Msg>(TOKENS.alice, 'PUT', url, { roomId: room, markdown: `**v${i}**` });
    assert.equal(e.status, 200);
    assert.equal(e.body.html, `<p><strong>v${i}</strong></p>`);
    assert.ok(e.body.updated);
  }
  assert.equal((await h.json(TOKENS.alice, 'PUT', url, { roomId: room, text: 'v11' })).status, 400);
  assert.equal((await h.call(TOKENS.bob, 'DELETE', url)).status, 403);
  assert.equal((await h.call(TOKENS.alice, 'DELETE', url)).status, 204);
  assert.equal((await h.json(TOKENS.alice, 'GET', url)).status, 404);
  const bobs = await h.json<Msg>(TOKENS.bob, 'POST', '/v1/messages', { roomId: h.roomId('news'), text: 'x' });
  assert.equal(bobs.status, 403, 'bob is no moderator of the announcement room');
  const alices = await h.json<Msg>(TOKENS.alice, 'POST', '/v1/messages', {
    roomId: h.roomId('news'),
    text: 'mine',
  });
  assert.equal((await h.call(TOKENS.bob, 'DELETE', `/v1/messages/${alices.body.id}`)).status, 403);
});

test('threads: parentId posts a reply and filters the list', async () => {
  const room = h.roomId('general');
  const parent = await h.json<Msg>(TOKENS.alice, 'POST', '/v1/messages', { roomId: room, text: 'parent' });
  const reply = await h.json<Msg>(TOKENS.bob, 'POST', '/v1/messages', {
    roomId: room,
    text: 'reply',
    parentId: parent.body.id,
  });
  assert.equal(reply.body.parentId, parent.body.id);
  const thread = await h.items<Msg>(TOKENS.bob, `/v1/messages?roomId=${room}&parentId=${parent.body.id}`);
  assert.deepEqual(
    thread.map((m) => m.id),
    [reply.body.id],
  );
});

test('cards: a card message, POST /attachment/actions 200, GET by submitter and card sender only', async () => {
  const card = {
    contentType: 'application/vnd.microsoft.card.adaptive',
    content: { type: 'AdaptiveCard', version: '1.3', body: [] },
  };
  const m = await h.json<Msg>(TOKENS.bot, 'POST', '/v1/messages', {
    roomId: h.roomId('general'),
    text: 'card',
    attachments: [card],
  });
  assert.equal(m.status, 200);
  assert.deepEqual(m.body.attachments, [card]);
  assert.equal(
    (await h.json(TOKENS.bot, 'PUT', `/v1/messages/${m.body.id}`, { roomId: h.roomId('general'), text: 'x' }))
      .status,
    400,
  );
  const action = await h.json<Msg>(TOKENS.bob, 'POST', '/v1/attachment/actions', {
    type: 'submit',
    messageId: m.body.id,
    inputs: { answer: 'yes' },
  });
  assert.equal(action.status, 200);
  assert.equal(decodeId(action.body.id)?.type, 'ATTACHMENT_ACTION');
  const read = await h.json<Msg>(TOKENS.bot, 'GET', `/v1/attachment/actions/${action.body.id}`);
  assert.deepEqual(read.body.inputs, { answer: 'yes' });
  assert.equal(read.body.personId, h.personId('bob'));
  assert.equal((await h.json(TOKENS.carol, 'GET', `/v1/attachment/actions/${action.body.id}`)).status, 404);
  assert.equal(
    (await h.json(TOKENS.bob, 'POST', '/v1/attachment/actions', { type: 'other', messageId: m.body.id }))
      .status,
    400,
  );
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Change } from '../src/state/types.js';
import { EmulatorHttpError, World } from '../src/state/world.js';
import { testSeed } from './fixtures.js';

function seeded(): {
  world: World;
  changes: Change[];
  id: (key: string) => string;
  room: (key: string) => string;
} {
  let t = Date.UTC(2024, 4, 1, 9, 0, 0);
  const world = new World(() => (t += 1000), { randomSeed: 7 });
  world.loadSeed(testSeed);
  const changes: Change[] = [];
  world.events.on('change', (c) => changes.push(c));
  return {
    world,
    changes,
    id: (key) => world.keys.people.get(key)!,
    room: (key) => world.keys.rooms.get(key)!,
  };
}

function rejects(fn: () => unknown, status: number): void {
  assert.throws(fn, (e: unknown) => e instanceof EmulatorHttpError && e.status === status);
}

test('a seeded world is deterministic and resolves keys', () => {
  const a = seeded();
  const b = seeded();
  assert.equal(a.id('alice'), b.id('alice'));
  assert.equal(a.world.people.get(a.id('bot'))?.type, 'bot');
  const globexRoom = a.world.rooms.get(a.room('globex-room'))!;
  assert.equal(globexRoom.ownerId, a.world.people.get(a.id('carol'))?.orgId);
  assert.match(globexRoom.encryptionKeyUrl, /^kms:\/\/kms-cisco\.wbx2\.com\/keys\/[0-9a-f-]{36}$/);
  const news = a.world.membership(a.id('alice'), a.room('news'));
  assert.equal(news?.isModerator, true, 'the creator of a locked room moderates it');
  assert.equal(a.world.personByToken('TEST_BOB_TOKEN')?.displayName, 'Bob Baker');
  assert.equal(a.world.personByEmail('CAROL@globex.example')?.id, a.id('carol'));
});

test('a first direct message creates the 1-1 room: room, two memberships, then the message', () => {
  const { world, changes, id } = seeded();
  const msg = world.postMessage(id('bob'), { toPersonEmail: 'herald@webex.bot', text: 'hi' });
  assert.deepEqual(
    changes.map((c) => c.kind),
    ['room.created', 'membership.created', 'membership.created', 'message.created'],
  );
  assert.deepEqual(
    changes.map((c) => c.seq),
    [1, 2, 3, 4],
  );
  const room = world.rooms.get(msg.roomId)!;
  assert.equal(room.type, 'direct');
  assert.equal(world.directRoom(id('bot'), id('bob'), false)?.id, room.id);
  // the second message reuses the room
  world.postMessage(id('bob'), { toPersonId: id('bot'), text: 'again' });
  assert.equal(changes.length, 5);
  const audience = world
    .audience(changes[4]!)
    .map((p) => p.id)
    .sort();
  assert.deepEqual(audience, [id('bob'), id('bot')].sort());
});

test('a bot learns of group messages only when mentioned or when it sent them', () => {
  const { world, changes, id, room } = seeded();
  world.postMessage(id('alice'), { roomId: room('general'), text: 'no mention' });
  world.postMessage(id('alice'), {
    roomId: room('general'),
    markdown: 'hey <@personEmail:herald@webex.bot>',
  });
  world.postMessage(id('alice'), { roomId: room('general'), markdown: '<@all> hello' });
  world.postMessage(id('bot'), { roomId: room('general'), text: 'bot says' });
  const seesIt = changes.map((c) => world.audience(c).some((p) => p.id === id('bot')));
  assert.deepEqual(seesIt, [false, true, false, true]);
  // people see all of them
  assert.ok(changes.every((c) => world.audience(c).some((p) => p.id === id('carol'))));
});

test('membership changes reach every member plus the person concerned; attachment actions the card sender', () => {
  const { world, changes, id, room } = seeded();
  world.removeMember(id('alice'), room('general'), id('carol'));
  const removed = world.audience(changes[0]!).map((p) => p.id);
  assert.ok(removed.includes(id('carol')), 'the removed person is told');
  assert.ok(removed.includes(id('bot')));
  const card = world.postMessage(id('bot'), {
    roomId: room('general'),
    text: 'card',
    attachments: [
      { contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard' } },
    ],
  });
  world.submitCard(id('bob'), card.id, { choice: 'yes' });
  const last = changes.at(-1)!;
  assert.equal(last.kind, 'attachmentAction.created');
  assert.deepEqual(
    world
      .audience(last)
      .map((p) => p.id)
      .sort(),
    [id('bob'), id('bot')].sort(),
  );
});

test('mentions render to html, text, mentionedPeople and mentionedGroups', () => {
  const { world, id, room } = seeded();
  const { encodeId } = {
    encodeId: (u: string) => Buffer.from(`ciscospark://us/PEOPLE/${u}`).toString('base64url'),
  };
  const bobRest = encodeId(id('bob'));
  const m = world.postMessage(id('alice'), {
    roomId: room('general'),
    markdown: `Hi <@personId:${bobRest}|Bob> and <@personId:${id('bot')}>, <@all>: **read** <b>this</b>`,
  });
  assert.deepEqual(m.mentionedPeople, [id('bob'), id('bot')]);
  assert.deepEqual(m.mentionedGroups, ['all']);
  assert.equal(m.text, 'Hi Bob and Herald, All: read <b>this</b>');
  assert.equal(
    m.html,
    `<p>Hi <spark-mention data-object-type="person" data-object-id="${bobRest}">Bob</spark-mention> and ` +
      `<spark-mention data-object-type="person" data-object-id="${encodeId(id('bot'))}">Herald</spark-mention>, ` +
      '<spark-mention data-object-type="groupMention" data-group-type="all">All</spark-mention>: ' +
      '<strong>read</strong> &lt;b&gt;this&lt;/b&gt;</p>',
  );
  const plain = world.postMessage(id('alice'), { roomId: room('general'), text: 'plain' });
  assert.equal(plain.html, undefined, 'html only with markdown');
});

test('markdown subset: links, code, italics, paragraphs; unsafe links stay text', () => {
  const { world, id, room } = seeded();
  const m = world.postMessage(id('alice'), {
    roomId: room('general'),
    markdown:
      'a *b* `<x>` [site](https://e.example/?a=1&b=2)\nline2\n\n[bad](javascript:alert(1)) snake_case_word',
  });
  assert.equal(
    m.html,
    '<p>a <em>b</em> <code>&lt;x&gt;</code> <a href="https://e.example/?a=1&amp;b=2">site</a><br/>line2</p>' +
      '<p>[bad](javascript:alert(1)) snake_case_word</p>',
  );
});

test('posting rules: membership, announcement-only, limits, combinations', () => {
  const { world, id, room } = seeded();
  rejects(() => world.postMessage(id('carol'), { roomId: room('news'), text: 'x' }), 404);
  rejects(() => world.postMessage(id('bot'), { roomId: room('news'), text: 'x' }), 403);
  world.postMessage(id('alice'), { roomId: room('news'), text: 'moderator may' });
  world.postMessage(id('alice'), { roomId: room('general'), text: 'é'.repeat(3719) + 'a' }); // 7,439 bytes
  rejects(() => world.postMessage(id('alice'), { roomId: room('general'), text: 'é'.repeat(3720) }), 400);
  rejects(() => world.postMessage(id('alice'), { roomId: room('general') }), 400);
  rejects(() => world.postMessage(id('alice'), { text: 'x' }), 400);
  rejects(
    () => world.postMessage(id('alice'), { roomId: room('general'), toPersonId: id('bob'), text: 'x' }),
    400,
  );
  rejects(() => world.postMessage(id('alice'), { toPersonId: id('alice'), text: 'x' }), 400);
  const file = { name: 'a.txt', contentType: 'text/plain', bytes: Buffer.from('a') };
  rejects(() => world.postMessage(id('alice'), { roomId: room('general'), files: [file, file] }), 400);
  const card = { contentType: 'application/vnd.microsoft.card.adaptive' as const, content: {} };
  rejects(() => world.postMessage(id('alice'), { roomId: room('general'), attachments: [card, card] }), 400);
  rejects(
    () => world.postMessage(id('alice'), { roomId: room('general'), files: [file], attachments: [card] }),
    400,
  );
});

test('edits: own only, at most 10, never with files; deletes: own or a moderator in a locked room', () => {
  const { world, id, room } = seeded();
  const m = world.postMessage(id('alice'), { roomId: room('general'), text: 'v0' });
  rejects(() => world.editMessage(id('bob'), m.id, { text: 'no' }), 403);
  for (let i = 1; i <= 10; i++) world.editMessage(id('alice'), m.id, { text: `v${i}` });
  assert.equal(world.messages.get(m.id)?.text, 'v10');
  assert.ok(world.messages.get(m.id)?.updated);
  rejects(() => world.editMessage(id('alice'), m.id, { text: 'v11' }), 400);
  const f = world.postMessage(id('alice'), {
    roomId: room('general'),
    files: [{ name: 'a.txt', contentType: 'text/plain', bytes: Buffer.from('a') }],
  });
  rejects(() => world.editMessage(id('alice'), f.id, { text: 'x' }), 400);
  rejects(() => world.deleteMessage(id('bob'), m.id), 403);
  world.deleteMessage(id('alice'), m.id);
  rejects(() => world.deleteMessage(id('alice'), m.id), 404);
  world.updateRoom(id('alice'), room('news'), { isAnnouncementOnly: false });
  const b = world.postMessage(id('bob'), { roomId: room('news'), text: 'by bob' });
  world.deleteMessage(id('alice'), b.id);
  assert.equal(world.messages.get(b.id)?.deleted, true);
});

test('memberships: duplicates 409, locked rooms need a moderator, leaving is always allowed', () => {
  const { world, id, room } = seeded();
  rejects(() => world.addMember(id('alice'), room('general'), id('bob')), 409);
  rejects(() => world.addMember(id('bob'), room('news'), id('carol')), 403);
  world.addMember(id('alice'), room('news'), id('carol'));
  world.updateMember(id('alice'), room('news'), id('bot'), true);
  assert.equal(world.membership(id('bot'), room('news'))?.isModerator, true);
  world.postMessage(id('bot'), { roomId: room('news'), text: 'now I may' });
  world.removeMember(id('bob'), room('news'), id('bob'));
  assert.equal(world.membership(id('bob'), room('news')), undefined);
  rejects(() => world.removeMember(id('alice'), room('general'), id('nobody')), 404);
  rejects(() => world.removeMember(id('alice'), room('alice-bot'), id('bot')), 400);
});

test('reset returns to the seed and emits reset', () => {
  const { world, id, room } = seeded();
  let resets = 0;
  world.events.on('reset', () => resets++);
  const before = world.keys.people.get('alice');
  world.postMessage(id('alice'), { roomId: room('general'), text: 'x' });
  world.reset();
  assert.equal(resets, 1);
  assert.equal(world.messages.size, 0);
  assert.equal(world.keys.people.get('alice'), before);
});

test('a room’s members and a person’s rooms follow every join, leave, deletion and reset, in joining order', () => {
  const { world, id, room } = seeded();
  // What the indexes must answer: every membership read in order and filtered.
  const check = () => {
    const all = [...world.memberships.values()];
    for (const r of world.rooms.keys())
      assert.deepEqual(
        world.membersOf(r),
        all.filter((m) => m.roomId === r),
      );
    for (const p of world.people.keys())
      assert.deepEqual(
        world.roomsOf(p),
        all.filter((m) => m.personId === p).map((m) => world.rooms.get(m.roomId)),
      );
  };
  check();
  const before = world.membersOf(room('news')).map((m) => m.personId);
  world.addMember(id('alice'), room('news'), id('carol'));
  world.updateMember(id('alice'), room('news'), id('carol'), true);
  assert.deepEqual(
    world.membersOf(room('news')).map((m) => m.personId),
    [...before, id('carol')],
    'a new member comes last; a changed one keeps its place',
  );
  check();
  world.removeMember(id('bob'), room('news'), id('bob'));
  assert.ok(!world.roomsOf(id('bob')).some((r) => r.id === room('news')));
  const made = world.createRoom(id('carol'), { title: 'Later' });
  world.addMember(id('carol'), made.id, id('bob'));
  assert.equal(world.roomsOf(id('bob')).at(-1)?.id, made.id);
  check();
  world.deleteRoom(id('carol'), made.id);
  assert.deepEqual(world.membersOf(made.id), []);
  check();
  world.reset();
  check();
  assert.deepEqual(
    world.membersOf(room('news')).map((m) => m.personId),
    before,
  );
});

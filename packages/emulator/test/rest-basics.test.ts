import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeId, encodeId } from '@herald/webex';
import { type Harness, harness, TOKENS } from './helpers.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(() => h.emu.stop());

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

test('401 without or with an unknown token, with Webex error body and TrackingID', async () => {
  for (const token of ['', 'nope']) {
    const r = await h.json(token, 'GET', '/v1/people/me');
    assert.equal(r.status, 401);
    assert.equal(typeof r.body.message, 'string');
    assert.deepEqual(r.body.errors, [{ description: r.body.message }]);
    assert.match(String(r.body.trackingId), /^EMU_[0-9a-f-]{36}$/);
    assert.equal(r.res.headers.get('trackingid'), r.body.trackingId);
  }
  const echoed = await h.call(TOKENS.alice, 'GET', '/v1/people/me', undefined, {
    trackingid: 'client_abc_1',
  });
  assert.equal(echoed.headers.get('trackingid'), 'client_abc_1');
});

test('GET /people/me, /people/{id} (padded id accepted), wrong type or garbage 404', async () => {
  const me = await h.json(TOKENS.bot, 'GET', '/v1/people/me');
  assert.equal(me.status, 200);
  assert.equal(me.body.id, h.personId('bot'));
  assert.equal(me.body.type, 'bot');
  assert.deepEqual(me.body.emails, ['herald@webex.bot']);
  assert.match(String(me.body.created), TIMESTAMP);
  assert.equal(decodeId(String(me.body.orgId))?.type, 'ORGANIZATION');
  const carolId = h.personId('carol');
  const padded = carolId + '='.repeat((4 - (carolId.length % 4)) % 4);
  const carol = await h.json(TOKENS.bot, 'GET', `/v1/people/${padded}`);
  assert.equal(carol.status, 200);
  assert.equal(carol.body.displayName, 'Carol Cruz');
  assert.equal((await h.json(TOKENS.bot, 'GET', `/v1/people/${h.roomId('general')}`)).status, 404);
  assert.equal((await h.json(TOKENS.bot, 'GET', '/v1/people/not-an-id')).status, 404);
});

test('GET /people: a filter is required; email same-org; displayName prefix; id list with notFoundIds', async () => {
  assert.equal((await h.json(TOKENS.alice, 'GET', '/v1/people')).status, 400);
  const bob = await h.items<{ id: string }>(TOKENS.alice, '/v1/people?email=bob@acme.example');
  assert.deepEqual(
    bob.map((p) => p.id),
    [h.personId('bob')],
  );
  assert.deepEqual(await h.items(TOKENS.alice, '/v1/people?email=carol@globex.example'), [], 'same org only');
  const prefix = await h.items<{ displayName: string }>(TOKENS.alice, '/v1/people?displayName=car');
  assert.deepEqual(
    prefix.map((p) => p.displayName),
    ['Carol Cruz'],
  );
  const ghost = encodeId('PEOPLE', '00000000-0000-4000-8000-000000000000');
  const byId = await h.json<{ items: Array<{ id: string }>; notFoundIds: string[] }>(
    TOKENS.alice,
    'GET',
    `/v1/people?id=${h.personId('bob')},${ghost}`,
  );
  assert.deepEqual(
    byId.body.items.map((p) => p.id),
    [h.personId('bob')],
  );
  assert.deepEqual(byId.body.notFoundIds, [ghost]);
});

test('GET /organizations/{id}: own org 200, another org 403', async () => {
  const me = await h.json(TOKENS.bot, 'GET', '/v1/people/me');
  const org = await h.json(TOKENS.bot, 'GET', `/v1/organizations/${me.body.orgId}`);
  assert.equal(org.status, 200);
  assert.equal(org.body.displayName, 'Acme');
  const carol = await h.json(TOKENS.carol, 'GET', '/v1/people/me');
  assert.equal((await h.json(TOKENS.bot, 'GET', `/v1/organizations/${carol.body.orgId}`)).status, 403);
});

test('rooms: list with type and sortBy, get (direct title per viewer), create, update, delete', async () => {
  const list = await h.items<{ id: string; type: string; ownerId: string; title: string }>(
    TOKENS.bot,
    '/v1/rooms',
  );
  assert.equal(list.length, 4);
  const direct = await h.items<{ title: string }>(TOKENS.bot, '/v1/rooms?type=direct');
  assert.deepEqual(
    direct.map((r) => r.title),
    ['Alice Archer'],
  );
  const fromAlice = await h.json(TOKENS.alice, 'GET', `/v1/rooms/${h.roomId('alice-bot')}`);
  assert.equal(fromAlice.body.title, 'Herald');
  const globex = list.find((r) => r.id === h.roomId('globex-room'))!;
  const carol = await h.json(TOKENS.carol, 'GET', '/v1/people/me');
  assert.equal(globex.ownerId, carol.body.orgId, 'ownerId is the creator org');
  assert.equal((await h.json(TOKENS.bot, 'GET', '/v1/rooms?sortBy=nonsense')).status, 400);
  assert.equal((await h.json(TOKENS.bot, 'GET', '/v1/rooms?max=0')).status, 400);
  assert.equal((await h.json(TOKENS.bot, 'GET', '/v1/rooms?max=1001')).status, 400);

  const created = await h.json(TOKENS.bob, 'POST', '/v1/rooms', { title: 'Bob room', isLocked: true });
  assert.equal(created.status, 200);
  assert.equal(created.body.creatorId, h.personId('bob'));
  assert.equal(created.body.isLocked, true);
  assert.equal((await h.json(TOKENS.bob, 'POST', '/v1/rooms', { isLocked: true })).status, 400);
  assert.equal(
    (await h.json(TOKENS.bob, 'POST', '/v1/rooms', { title: 'x', isAnnouncementOnly: true })).status,
    400,
  );
  const id = String(created.body.id);
  const upd = await h.json(TOKENS.bob, 'PUT', `/v1/rooms/${id}`, {
    title: 'Renamed',
    isAnnouncementOnly: true,
  });
  assert.equal(upd.body.title, 'Renamed');
  assert.equal(upd.body.isAnnouncementOnly, true);
  assert.equal(
    (await h.json(TOKENS.alice, 'GET', `/v1/rooms/${id}`)).status,
    404,
    'non-members cannot see it',
  );
  const del = await h.call(TOKENS.bob, 'DELETE', `/v1/rooms/${id}`);
  assert.equal(del.status, 204);
  assert.equal(await del.text(), '');
  assert.equal((await h.json(TOKENS.bob, 'GET', `/v1/rooms/${id}`)).status, 404);
  assert.equal((await h.json(TOKENS.bob, 'PATCH', `/v1/rooms/${id}`, {})).status, 405);
  assert.equal((await h.json(TOKENS.bob, 'GET', '/v1/nothing-here')).status, 404);
});

test('memberships: own list, room list, person filter, create 409, get, put, delete, leave', async () => {
  const own = await h.items<{ roomId: string; personId: string }>(TOKENS.bot, '/v1/memberships');
  assert.equal(own.length, 4);
  assert.ok(own.every((m) => m.personId === h.personId('bot')));
  assert.equal(
    (await h.json(TOKENS.bot, 'GET', `/v1/memberships?personId=${h.personId('bob')}`)).status,
    400,
  );
  const room = h.roomId('general');
  assert.equal((await h.items(TOKENS.bot, `/v1/memberships?roomId=${room}`)).length, 4);
  const bobOnly = await h.items<{ personEmail: string }>(
    TOKENS.bot,
    `/v1/memberships?roomId=${room}&personEmail=bob@acme.example`,
  );
  assert.deepEqual(
    bobOnly.map((m) => m.personEmail),
    ['bob@acme.example'],
  );

  const dup = await h.json(TOKENS.alice, 'POST', '/v1/memberships', {
    roomId: room,
    personId: h.personId('bob'),
  });
  assert.equal(dup.status, 409);
  const news = h.roomId('news');
  const added = await h.json(TOKENS.alice, 'POST', '/v1/memberships', {
    roomId: news,
    personEmail: 'carol@globex.example',
  });
  assert.equal(added.status, 200);
  assert.equal(added.body.personOrgId, (await h.json(TOKENS.carol, 'GET', '/v1/people/me')).body.orgId);
  const mid = String(added.body.id);
  assert.equal(decodeId(mid)?.type, 'MEMBERSHIP');
  assert.equal(
    (await h.json(TOKENS.bob, 'GET', `/v1/memberships/${mid}`)).body.personEmail,
    'carol@globex.example',
  );
  assert.equal(
    (await h.json(TOKENS.bob, 'PUT', `/v1/memberships/${mid}`, { isModerator: true })).status,
    403,
  );
  const promoted = await h.json(TOKENS.alice, 'PUT', `/v1/memberships/${mid}`, { isModerator: true });
  assert.equal(promoted.body.isModerator, true);
  assert.equal((await h.json(TOKENS.alice, 'PUT', `/v1/memberships/${mid}`, {})).status, 400);
  const left = await h.call(TOKENS.carol, 'DELETE', `/v1/memberships/${mid}`);
  assert.equal(left.status, 204);
  assert.equal((await h.json(TOKENS.carol, 'GET', `/v1/rooms/${news}`)).status, 404);
});

test('request bodies over the limit answer 413; malformed JSON 400', async () => {
  const big = JSON.stringify({ title: 'x'.repeat(1024 * 1024 + 10) });
  assert.equal((await h.json(TOKENS.alice, 'POST', '/v1/rooms', big)).status, 413);
  assert.equal((await h.json(TOKENS.alice, 'POST', '/v1/rooms', '{nope')).status, 400);
  const empty = await h.json(TOKENS.alice, 'POST', '/v1/messages', '');
  assert.equal(empty.status, 400);
  assert.equal(empty.body.message, 'Required request body is missing');
});

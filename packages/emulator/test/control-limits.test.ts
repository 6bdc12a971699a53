import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodeId } from '@herald/webex';
import { RATE_LIMIT_MESSAGE } from '../src/rest/ratelimit.js';
import { type Harness, harness, TOKENS } from './helpers.js';

let h: Harness;
before(async () => {
  h = await harness();
});
after(() => h.emu.stop());

test('rate limits: off by default; per (token, room) bucket answers 429 with an integer Retry-After', async () => {
  const post = (room: string) =>
    h.call(TOKENS.alice, 'POST', '/v1/messages', { roomId: h.roomId(room), text: 'x' });
  for (let i = 0; i < 20; i++) assert.equal((await post('general')).status, 200);
  h.emu.control.setRateLimits({ postPerRoom: { capacity: 3, perSecond: 0.5 } });
  for (let i = 0; i < 3; i++) assert.equal((await post('general')).status, 200);
  const limited = await post('general');
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '2');
  assert.equal(((await limited.json()) as { message: string }).message, RATE_LIMIT_MESSAGE);
  assert.equal((await post('news')).status, 200, 'another room has its own bucket');
  h.clock.now += 2000; // one token back
  assert.equal((await post('general')).status, 200);
  assert.equal((await post('general')).status, 429);
  h.emu.control.setFaults({ omitRetryAfter: true });
  const bare = await post('general');
  assert.equal(bare.status, 429);
  assert.equal(bare.headers.get('retry-after'), null);
  h.emu.control.setFaults({});
  h.emu.control.setRateLimits({ readPerToken: { capacity: 1, perSecond: 1 } });
  assert.equal((await h.call(TOKENS.bob, 'GET', '/v1/people/me')).status, 200);
  assert.equal((await h.call(TOKENS.bob, 'GET', '/v1/people/me')).status, 429);
  h.emu.control.setRateLimits({});
});

test('faults: a seeded share of requests answers 500/503, only on the filtered path', async () => {
  h.emu.control.setFaults({ errorRate: 0.3, seed: 11, pathFilter: '/rooms' });
  const statuses: number[] = [];
  for (let i = 0; i < 200; i++) statuses.push((await h.call(TOKENS.bob, 'GET', '/v1/rooms')).status);
  const failed = statuses.filter((s) => s !== 200);
  assert.ok(failed.length > 30 && failed.length < 90, `about 30% failed: ${failed.length}`);
  assert.ok(failed.every((s) => s === 500 || s === 503));
  assert.ok(failed.includes(503));
  assert.equal((await h.call(TOKENS.bob, 'GET', '/v1/people/me')).status, 200, 'path filter');
  h.emu.control.setFaults({ errorRate: 0.3, seed: 11, pathFilter: '/rooms' });
  const again: number[] = [];
  for (let i = 0; i < 200; i++) again.push((await h.call(TOKENS.bob, 'GET', '/v1/rooms')).status);
  assert.deepEqual(again, statuses, 'deterministic with a seed');
  h.emu.control.setFaults({});
});

test('messageNotFoundForMs: a fresh message answers 404 until the hold has passed', async () => {
  h.emu.control.setFaults({ messageNotFoundForMs: 500 });
  const m = h.emu.control.post('alice', { room: 'general', text: 'fresh' });
  assert.equal((await h.call(TOKENS.bob, 'GET', `/v1/messages/${m.id}`)).status, 404);
  h.clock.now += 500;
  assert.equal((await h.call(TOKENS.bob, 'GET', `/v1/messages/${m.id}`)).status, 200);
  h.emu.control.setFaults({ messageNotFoundForMs: 0 });
});

test('request log: method, path, status, person; never the token', async () => {
  h.emu.control.clearRequests();
  await h.call(TOKENS.bob, 'GET', '/v1/people/me');
  await h.call('bad-token', 'GET', '/v1/rooms');
  const log = h.emu.control.requests();
  assert.equal(log.length, 2);
  assert.equal(log[0]?.method, 'GET');
  assert.equal(log[0]?.path, '/v1/people/me');
  assert.equal(log[0]?.status, 200);
  assert.equal(log[0]?.personId, h.emu.world.keys.people.get('bob'));
  assert.equal(log[1]?.status, 401);
  assert.ok(!JSON.stringify(log).includes(TOKENS.bob));
  assert.equal(h.emu.control.requests({ path: '/rooms' }).length, 1);
});

test('control over HTTP: people, act as a person (text, file, card), room messages, submit, reset', async () => {
  const ctl = async (method: string, path: string, body?: unknown) => {
    const r = await h.json<Record<string, unknown>>('', method, `/_emulator/${path}`, body);
    return r;
  };
  const alice = await ctl('GET', 'people/alice');
  assert.equal(alice.body.token, TOKENS.alice);
  assert.equal((await ctl('GET', 'people/carol@globex.example')).body.key, 'carol');
  const posted = await ctl('POST', 'act/alice/post', {
    room: 'general',
    markdown: 'hi <@personEmail:bob@acme.example>',
  });
  assert.equal(posted.status, 200);
  assert.deepEqual(posted.body.mentionedPeople, [encodeId('PEOPLE', h.emu.world.keys.people.get('bob')!)]);
  const file = await ctl('POST', 'act/bob/post', {
    toPerson: 'herald@webex.bot',
    file: { name: 'a.txt', contentType: 'text/plain', base64: Buffer.from('abc').toString('base64') },
  });
  assert.equal(file.status, 200);
  const download = await h.call(TOKENS.bot, 'GET', (file.body.files as string[])[0]!);
  assert.equal(await download.text(), 'abc');
  const card = await ctl('POST', 'act/bot/post', {
    room: 'alice-bot',
    text: 'pick',
    card: { type: 'AdaptiveCard', body: [] },
  });
  const submitted = await ctl('POST', 'act/alice/submit-card', {
    message: card.body.id,
    inputs: { pick: 1 },
  });
  assert.deepEqual(submitted.body.inputs, { pick: 1 });
  const msgs = await ctl('GET', 'rooms/general/messages');
  assert.ok((msgs.body.items as unknown[]).length > 0, 'all messages regardless of visibility');
  assert.equal((await ctl('POST', 'act/bot/post', { room: 'news', text: 'x' })).status, 403);
  assert.equal(
    (await ctl('POST', 'act/alice/set-moderator', { room: 'news', person: 'bot', isModerator: true })).status,
    200,
  );
  assert.equal((await ctl('POST', 'act/bot/post', { room: 'news', text: 'x' })).status, 200);
  assert.equal(
    (await ctl('POST', 'act/alice/update-room', { room: 'news', isAnnouncementOnly: false })).body
      .isAnnouncementOnly,
    false,
  );
  assert.equal(
    (await ctl('POST', 'act/alice/remove-member', { room: 'general', person: 'carol' })).status,
    200,
  );
  assert.equal((await ctl('POST', 'act/alice/add-member', { room: 'general', person: 'carol' })).status, 200);
  assert.equal((await ctl('GET', 'requests')).status, 200);
  assert.equal((await ctl('GET', 'nope')).status, 404);
  assert.equal((await ctl('POST', 'reset')).status, 200);
  assert.equal(h.emu.world.messages.size, 0);
  assert.equal((await ctl('GET', 'people/alice')).body.token, TOKENS.alice);
});

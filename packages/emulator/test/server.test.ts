import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startEmulator } from '../src/server.js';

test('the demo seed: two orgs, a bot, ~20 rooms of both kinds, stable tokens and ids', async () => {
  const a = await startEmulator({ port: 0, seed: 'demo', randomSeed: 1 });
  const b = await startEmulator({ port: 0, seed: 'demo', randomSeed: 1 });
  try {
    const people = a.control.people();
    const bot = people.find((p) => p.type === 'bot')!;
    assert.match(bot.email, /@webex\.bot$/);
    assert.equal(bot.token, 'DEMO_BOT_TOKEN');
    assert.equal(new Set(people.map((p) => p.orgName)).size, 2);
    const rooms = a.control.rooms();
    assert.ok(rooms.length >= 18);
    assert.ok(rooms.some((r) => r.type === 'direct'));
    const announce = rooms.find((r) => r.key === 'acme-announcements')!;
    assert.equal(announce.isAnnouncementOnly, true);
    assert.equal(announce.members.find((m) => m.personId === bot.id)?.isModerator, false);
    assert.ok(rooms.some((r) => r.ownerId !== bot.orgId && r.members.some((m) => m.personId === bot.id)));
    assert.deepEqual(b.control.person('alice').id, a.control.person('alice').id, 'stable ids');
    const res = await fetch(`${a.url}/v1/rooms?max=1000`, {
      headers: { Authorization: `Bearer ${bot.token}` },
    });
    assert.equal(
      ((await res.json()) as { items: unknown[] }).items.length,
      rooms.filter((r) => r.members.some((m) => m.personId === bot.id)).length,
    );
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('controlToken protects /_emulator/', async () => {
  const emu = await startEmulator({ port: 0, seed: 'demo', controlToken: 'ctl' });
  try {
    assert.equal((await fetch(`${emu.url}/_emulator/people`)).status, 401);
    const ok = await fetch(`${emu.url}/_emulator/people`, { headers: { Authorization: 'Bearer ctl' } });
    assert.equal(ok.status, 200);
    assert.equal((await fetch(`${emu.url}/unknown`)).status, 404);
  } finally {
    await emu.stop();
  }
});

test('control writes from another origin, or with a non-JSON body, are refused (no cross-site POST)', async () => {
  const emu = await startEmulator({ port: 0, seed: 'demo' });
  try {
    const form = await fetch(`${emu.url}/_emulator/reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1',
    });
    assert.equal(form.status, 415);
    const foreign = await fetch(`${emu.url}/_emulator/reset`, {
      method: 'POST',
      headers: { origin: 'http://evil.example' },
    });
    assert.equal(foreign.status, 403);
    const ok = await fetch(`${emu.url}/_emulator/reset`, { method: 'POST', headers: { origin: emu.url } });
    assert.equal(ok.status, 200);
  } finally {
    await emu.stop();
  }
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { decodeId } from '@herald/webex';
import { contentDisposition } from '../src/rest/contents.js';
import { type Harness, harness, TOKENS } from './helpers.js';

let h: Harness;
before(async () => {
  h = await harness({ maxUploadBytes: 64 * 1024 });
});
after(() => h.emu.stop());

type Msg = Record<string, unknown> & { id: string };

async function upload(
  token: string,
  name: string,
  bytes: Buffer,
  type = 'application/octet-stream',
): Promise<Msg> {
  const form = new FormData();
  form.set('roomId', h.roomId('general'));
  form.set('text', 'a file');
  form.set('files', new Blob([bytes], { type }), name);
  const res = await h.call(token, 'POST', '/v1/messages', form);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Msg;
}

test('multipart upload and download byte for byte, non-ASCII filename with RFC 5987', async () => {
  const bytes = randomBytes(20_000);
  const name = 'Zpráva čtvrtletí.bin';
  const m = await upload(TOKENS.alice, name, bytes);
  const files = m.files as string[];
  assert.equal(files.length, 1);
  const contentUrl = files[0]!;
  assert.match(contentUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1\/contents\/[A-Za-z0-9]+$/);
  assert.equal(decodeId(contentUrl.split('/').at(-1)!)?.type, 'CONTENT');
  const res = await h.call(TOKENS.bob, 'GET', contentUrl);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/octet-stream');
  assert.equal(res.headers.get('content-length'), String(bytes.length));
  const disposition = res.headers.get('content-disposition')!;
  assert.equal(disposition, contentDisposition(name));
  const star = /filename\*=UTF-8''(.+)$/.exec(disposition);
  assert.equal(decodeURIComponent(star![1]!), name);
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(bytes));
  const head = await h.call(TOKENS.bob, 'HEAD', contentUrl);
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(bytes.length));
  assert.equal((await head.arrayBuffer()).byteLength, 0);
  // the bot cannot see that message, so it cannot download its file
  assert.equal((await h.call(TOKENS.bot, 'GET', contentUrl)).status, 404);
  assert.equal((await h.call(TOKENS.carol, 'GET', contentUrl)).status, 200);
});

test('uploads: over the size limit 413, two files 400', async () => {
  const form = new FormData();
  form.set('roomId', h.roomId('general'));
  form.set('files', new Blob([randomBytes(70 * 1024)]), 'big.bin');
  assert.equal((await h.call(TOKENS.alice, 'POST', '/v1/messages', form)).status, 413);
  const two = new FormData();
  two.set('roomId', h.roomId('general'));
  two.append('files', new Blob(['a']), 'a.txt');
  two.append('files', new Blob(['b']), 'b.txt');
  assert.equal((await h.call(TOKENS.alice, 'POST', '/v1/messages', two)).status, 400);
});

test('scan holds: 423 with Retry-After, then 200; infected 410; unscannable 428 unless allowed', async () => {
  const m = await upload(TOKENS.alice, 'report.txt', Buffer.from('hello'), 'text/plain');
  const url = (m.files as string[])[0]!;
  h.emu.control.holdFile(url, 2);
  for (let i = 0; i < 2; i++) {
    const r = await h.call(TOKENS.bob, 'GET', url);
    assert.equal(r.status, 423);
    assert.equal(r.headers.get('retry-after'), '1');
  }
  const ok = await h.call(TOKENS.bob, 'GET', url);
  assert.equal(ok.status, 200);
  assert.equal(await ok.text(), 'hello');
  assert.equal(ok.headers.get('content-disposition'), 'attachment; filename="report.txt"');
  h.emu.control.holdFile(m.id, 0, 'infected');
  assert.equal((await h.call(TOKENS.bob, 'GET', url)).status, 410);
  h.emu.control.holdFile(url, 0, 'unscannable');
  assert.equal((await h.call(TOKENS.bob, 'GET', url)).status, 428);
  assert.equal((await h.call(TOKENS.bob, 'GET', `${url}?allow=unscannable`)).status, 200);
});

test('webhooks: create with validation, list, get, update, creator-owned, delete', async () => {
  const base = { name: 'hook', targetUrl: 'http://127.0.0.1:9/hook', resource: 'messages', event: 'created' };
  const created = await h.json<Msg>(TOKENS.bot, 'POST', '/v1/webhooks', {
    ...base,
    secret: 's3cret',
    filter: `roomId=${h.roomId('general')}`,
  });
  assert.equal(created.status, 200);
  assert.equal(created.body.status, 'active');
  assert.equal(created.body.secret, 's3cret');
  assert.equal(created.body.createdBy, h.personId('bot'));
  assert.equal(
    (await h.json(TOKENS.bot, 'POST', '/v1/webhooks', { ...base, resource: 'rooms', event: 'deleted' }))
      .status,
    400,
  );
  assert.equal((await h.json(TOKENS.bot, 'POST', '/v1/webhooks', { ...base, resource: 'nope' })).status, 400);
  assert.equal(
    (await h.json(TOKENS.bot, 'POST', '/v1/webhooks', { ...base, filter: 'color=red' })).status,
    400,
  );
  assert.equal(
    (await h.json(TOKENS.bot, 'POST', '/v1/webhooks', { ...base, targetUrl: 'ftp://x' })).status,
    400,
  );
  assert.equal(
    (await h.json(TOKENS.bot, 'POST', '/v1/webhooks', { ...base, filter: 'roomId=nope' })).status,
    400,
  );
  const noBot = await h.json(TOKENS.carol, 'POST', '/v1/webhooks', {
    ...base,
    filter: `roomId=${h.roomId('news')}`,
  });
  assert.equal(noBot.status, 400, 'a room the caller is not in');
  const firehose = await h.json<Msg>(TOKENS.bot, 'POST', '/v1/webhooks', {
    ...base,
    resource: 'all',
    event: 'all',
  });
  assert.equal(firehose.status, 200);
  const list = await h.json<{ items: Msg[] }>(TOKENS.bot, 'GET', '/v1/webhooks?max=1');
  assert.equal(list.body.items.length, 1);
  assert.ok(list.res.headers.get('link'));
  const url = `/v1/webhooks/${created.body.id}`;
  assert.equal((await h.json(TOKENS.alice, 'GET', url)).status, 404, 'creator-owned');
  const upd = await h.json<Msg>(TOKENS.bot, 'PUT', url, {
    name: 'renamed',
    targetUrl: 'http://127.0.0.1:9/other',
    status: 'active',
  });
  assert.equal(upd.body.name, 'renamed');
  assert.equal((await h.json(TOKENS.bot, 'PUT', url, { ...base, status: 'inactive' })).status, 400);
  assert.equal((await h.call(TOKENS.alice, 'DELETE', url)).status, 404);
  assert.equal((await h.call(TOKENS.bot, 'DELETE', url)).status, 204);
  assert.equal((await h.json(TOKENS.bot, 'GET', url)).status, 404);
});

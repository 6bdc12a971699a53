/** Webex's webhook registration rules (docs/protocol.md §7.7), table-driven. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeId } from '@herald/webex';
import { EmulatorHttpError } from '../src/state/world.js';
import { validateWebhookCreate, validateWebhookUpdate } from '../src/webhooks/index.js';

const base = { name: 'n', targetUrl: 'https://bot.example/webhook', resource: 'messages', event: 'created' };
const room = encodeId('ROOM', 'r1');
const person = encodeId('PEOPLE', 'p1');

test('valid registrations', () => {
  const ok: Array<Record<string, unknown>> = [
    base,
    { ...base, targetUrl: 'http://127.0.0.1:9/x' },
    { ...base, resource: 'all', event: 'all' },
    { ...base, resource: 'attachmentActions', event: 'created', filter: `roomId=${room}&personId=${person}` },
    { ...base, filter: `roomId=${room}&mentionedPeople=me&hasFiles=true&roomType=group` },
    { ...base, filter: 'personEmail=a%2Bb@example.com&mentionedGroups=all&hasAttachments=false' },
    { ...base, resource: 'memberships', event: 'all', filter: 'isModerator=true&personEmail=a@b.c' },
    { ...base, resource: 'rooms', event: 'updated', filter: 'type=group&isLocked=true' },
    { ...base, secret: 'abc', ownedBy: 'creator' },
  ];
  for (const body of ok) assert.doesNotThrow(() => validateWebhookCreate(body), JSON.stringify(body));
  assert.equal(validateWebhookCreate({ ...base, filter: '', secret: '' }).secret, undefined);
});

test('invalid registrations answer 400 naming the field', () => {
  const bad: Array<[Record<string, unknown>, RegExp]> = [
    [{ ...base, name: '' }, /^name/],
    [{ ...base, targetUrl: 'ftp://x/y' }, /^targetUrl/],
    [{ ...base, targetUrl: 'not a url' }, /^targetUrl/],
    [{ ...base, resource: 'meetings' }, /^resource/],
    [{ ...base, resource: 'rooms', event: 'deleted' }, /^event/],
    [{ ...base, resource: 'attachmentActions', event: 'updated' }, /^event/],
    [{ ...base, filter: 'type=group' }, /type is not a filter of messages/],
    [{ ...base, filter: 'roomId' }, /key=value/],
    [{ ...base, filter: `roomId=${person}` }, /invalid value for filter: roomId/],
    [{ ...base, filter: 'hasFiles=yes' }, /invalid value for filter: hasFiles/],
    [
      { ...base, resource: 'rooms', event: 'created', filter: `roomId=${room}` },
      /roomId is not a filter of rooms/,
    ],
    [{ ...base, ownedBy: 'org' }, /^ownedBy/],
    [{ ...base, secret: 5 }, /^secret/],
  ];
  for (const [body, message] of bad) {
    assert.throws(
      () => validateWebhookCreate(body),
      (e: unknown) => e instanceof EmulatorHttpError && e.status === 400 && message.test(e.message),
      JSON.stringify(body),
    );
  }
});

test('update: name and targetUrl required, status only active, resource/event ignored', () => {
  assert.deepEqual(validateWebhookUpdate({ name: 'n', targetUrl: 'https://x/y', resource: 'rooms' }), {
    name: 'n',
    targetUrl: 'https://x/y',
  });
  assert.deepEqual(
    validateWebhookUpdate({ name: 'n', targetUrl: 'https://x/y', status: 'active', secret: 's' }),
    {
      name: 'n',
      targetUrl: 'https://x/y',
      status: 'active',
      secret: 's',
    },
  );
  assert.throws(
    () => validateWebhookUpdate({ name: 'n', targetUrl: 'https://x/y', status: 'inactive' }),
    /deactivated/,
  );
  assert.throws(() => validateWebhookUpdate({ targetUrl: 'https://x/y' }), /^Error: name|name/);
});

/** Adaptive card building and validation (docs/protocol.md §7.4 "Cards"). */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cardAttachment, InvalidArgumentError, loadCardFile, parseCard, validateCard } from '@herald/webex';

const good = {
  type: 'AdaptiveCard',
  version: '1.3',
  body: [
    { type: 'TextBlock', text: 'Send to' },
    { type: 'Input.ChoiceSet', id: 'rooms', choices: [] },
    { type: 'Container', items: [{ type: 'Input.Text', id: 'note', isRequired: true, label: 'Note' }] },
    { type: 'ActionSet', actions: [{ type: 'Action.OpenUrl', url: 'https://example.com' }] },
  ],
  actions: [{ type: 'Action.Submit', title: 'Send' }],
};

test('a valid card becomes an attachment', () => {
  const a = cardAttachment(good);
  assert.equal(a.contentType, 'application/vnd.microsoft.card.adaptive');
  assert.equal(a.content.version, '1.3');
});

test('invalid cards: the error names the path and the problem', () => {
  const submit = { type: 'Action.Submit' };
  const rows: Array<[unknown, RegExp]> = [
    [null, /card must be an object/],
    [{ ...good, type: 'Card' }, /card\.type must be "AdaptiveCard"/],
    [{ ...good, version: '1.5' }, /card\.version 1\.5 is newer than 1\.3/],
    [{ ...good, version: 1.2 }, /card\.version must be a string/],
    [{ ...good, body: {} }, /card\.body must be an array/],
    [{ ...good, body: [{ type: 'Input.Text' }] }, /card\.body\[0\]\.id Input\.Text needs an id/],
    [
      {
        ...good,
        body: [
          { type: 'Input.Text', id: 'a' },
          { type: 'Input.Date', id: 'a' },
        ],
      },
      /"a" is already used by card\.body\[0\]/,
    ],
    [{ ...good, body: [], actions: Array(6).fill(submit) }, /has 6 actions; Webex shows at most 5/],
    [
      { ...good, actions: Array(4).fill(submit), body: [{ type: 'ActionSet', actions: [submit, submit] }] },
      /has 6 actions/,
    ],
    [{ ...good, actions: [{ type: 'Action.Execute' }] }, /card\.actions\[0\]\.type must be one of/],
    [
      { ...good, actions: [{ type: 'Action.ShowCard', card: { type: 'AdaptiveCard', body: 5 } }] },
      /card\.actions\[0\]\.card\.body/,
    ],
  ];
  for (const [card, message] of rows) {
    assert.throws(
      () => validateCard(card),
      (e: unknown) => e instanceof InvalidArgumentError && message.test(e.message),
      String(message),
    );
  }
});

test('parseCard and loadCardFile accept a bare card or the attachment wrapper', async (t) => {
  assert.equal(parseCard(JSON.stringify(good)).type, 'AdaptiveCard');
  assert.equal(parseCard(JSON.stringify(cardAttachment(good))).version, '1.3');
  assert.throws(() => parseCard('{', 'broadcast.json'), /broadcast\.json: not valid JSON/);
  assert.throws(() => parseCard(JSON.stringify({ contentType: 'text/plain', content: good })), /contentType/);
  const dir = await mkdtemp(join(tmpdir(), 'cards-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'poll.json');
  await writeFile(file, JSON.stringify({ ...good, version: '2.0' }));
  await assert.rejects(
    loadCardFile(file),
    (e: Error) => /^invalid adaptive card: poll\.json\.version/.test(e.message) && !e.message.includes(dir),
  );
  await assert.rejects(
    loadCardFile(join(dir, 'missing.json')),
    /missing\.json: cannot read the card file \(ENOENT\)/,
  );
});

/** Pure parts of preview, recall and approval: command words, rights, card payloads and rendering. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeId, validateCard } from '@herald/webex';
import { parseCommand } from '../src/commands.js';
import { ConfigError, parseConfig } from '../src/config.js';
import { templates } from '../src/locales.js';
import { isDestination, mayDecide, mayRecall, needsApproval } from '../src/policy.js';
import { actionData, parseCardAction } from '../src/ui/actions.js';
import { PREVIEW_NAMES, renderApproval, renderPreview, renderReport } from '../src/ui/cards.js';

const en = templates('en_US');
const cs = templates('cs_CZ');
const P = (n: number) => encodeId('PEOPLE', `00000000-0000-0000-0000-00000000000${n}`);
const ROOM = encodeId('ROOM', '00000000-0000-0000-0000-0000000000a1');
const ID = '3f2b8a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b';

describe('commands', () => {
  const cases: Array<[string, ReturnType<typeof parseCommand>]> = [
    ['recall', { kind: 'recall' }],
    ['Recall.', { kind: 'recall' }],
    ['recall the last one', { kind: 'broadcast' }],
    ['preview **Big** news', { kind: 'preview', body: '**Big** news' }],
    ['Preview:\nline one', { kind: 'preview', body: 'line one' }],
    ['preview', { kind: 'preview', body: '' }],
    ['previewing the deck', { kind: 'broadcast' }],
    ['we recall nothing', { kind: 'broadcast' }],
  ];
  for (const [body, want] of cases)
    it(`en: ${JSON.stringify(body)}`, () => assert.deepEqual(parseCommand(body, en), want));
  it('a locale adds its own words; English still works', () => {
    assert.deepEqual(parseCommand('náhled ahoj', cs), { kind: 'preview', body: 'ahoj' });
    assert.deepEqual(parseCommand('Odvolat', cs), { kind: 'recall' });
    assert.deepEqual(parseCommand('recall', cs), { kind: 'recall' });
  });
});

describe('rights', () => {
  const config = parseConfig({
    admins: ['Boss@Acme.example'],
    approval: { enabled: true, room_id: ROOM, trusted_senders: ['ceo@acme.example'] },
  });
  it('recall: the sender or an admin', () => {
    assert.equal(mayRecall(config, { id: P(1), emails: [] }, P(1)), true);
    assert.equal(mayRecall(config, { id: P(2), emails: ['boss@acme.example'] }, P(1)), true);
    assert.equal(mayRecall(config, { id: P(2), emails: ['bob@acme.example'] }, P(1)), false);
  });
  it('approval: untrusted senders wait; approvers act in the approvers space, never on their own', () => {
    assert.equal(needsApproval(config, ['CEO@acme.example']), false);
    assert.equal(needsApproval(config, ['bob@acme.example']), true);
    assert.equal(needsApproval(parseConfig({}), ['bob@acme.example']), false, 'off by default');
    assert.equal(mayDecide(config, { personId: P(2), roomId: ROOM }, P(1)), true);
    assert.equal(mayDecide(config, { personId: P(1), roomId: ROOM }, P(1)), false);
    assert.equal(mayDecide(config, { personId: P(2), roomId: encodeId('ROOM', ID) }, P(1)), false);
  });
  it('the approvers space is never a destination', () => {
    const ctx = {
      bot: { id: P(9), orgId: 'o', emails: [] },
      sender: { id: P(1), orgId: 'o', emails: [] },
      sourceRoomId: 'x',
    };
    const room = { id: ROOM, type: 'group' as const, ownerId: 'o' };
    assert.equal(isDestination(config, room, ctx), false);
    assert.equal(isDestination(parseConfig({}), room, ctx), true);
  });
  it('config: approval needs the approvers space; admins are e-mails', () => {
    assert.throws(
      () => parseConfig({ approval: { enabled: true } }),
      (e: unknown) => e instanceof ConfigError && /approval\.room_id/.test(e.message),
    );
    assert.throws(() => parseConfig({ admins: ['nope'] }), /admins\.0/);
    assert.throws(
      () => parseConfig({ approval: { enabled: true, room: 'x' } }),
      /unknown key approval\.room/,
    );
  });
});

describe('cards', () => {
  it('button data round-trips; foreign or malformed data is ignored', () => {
    assert.deepEqual(parseCardAction(actionData({ action: 'send', broadcast: ID })), {
      action: 'send',
      broadcast: ID,
    });
    assert.equal(parseCardAction({ vote: 'yes' }), undefined);
    assert.equal(parseCardAction({ herald_action: 'drop', herald_broadcast: ID }), undefined);
    assert.equal(parseCardAction({ herald_action: 'send', herald_broadcast: "1' or 1=1" }), undefined);
  });

  it('compose: the typed field, trimmed and capped; no field, no action', () => {
    const data = actionData({ action: 'compose' });
    assert.deepEqual(parseCardAction({ ...data, herald_message: '  hello  ' }), {
      action: 'compose',
      message: 'hello',
    });
    const long = parseCardAction({ ...data, herald_message: 'x'.repeat(9000) });
    assert.equal(long?.action === 'compose' && long.message.length, 7000);
    assert.equal(parseCardAction(data), undefined);
    assert.equal(parseCardAction({ ...data, herald_message: 42 }), undefined);
  });

  const counts = { held: 0, pending: 0, sending: 0, sent: 3, failed: 1, cancelled: 0 };
  /** A finished broadcast to four spaces, three sent and one failed. */
  const finished = { broadcastId: ID, inProgress: false, total: 4, counts };
  it('report: the text keeps "Delivered to N of M spaces."; the card has facts and a Recall button', () => {
    const r = renderReport(en, {
      ...finished,
      failed: [{ title: 'Town hall', reason: '403 moderators only' }],
    });
    assert.match(r.markdown, /Delivered to 3 of 4 spaces\./);
    assert.match(r.markdown, /- Town hall: 403 moderators only/);
    const card = validateCard(r.card?.content);
    assert.equal(card.actions?.[0]?.title, 'Recall this broadcast');
    assert.deepEqual(card.actions?.[0]?.data, actionData({ action: 'recall', broadcast: ID }));
    assert.ok(JSON.stringify(card.body).includes('"FactSet"'));
  });
  it('report after a recall and after an edit', () => {
    const recalled = renderReport(en, {
      ...finished,
      failed: [],
      recall: { total: 3, removed: 2, failed: [{ title: 'A', reason: '403' }], open: 0, done: true },
    });
    assert.match(recalled.markdown, /Recalled: 2 of 3 copies removed\.\s+Not removed:\s+- A: 403/);
    assert.equal(validateCard(recalled.card?.content).actions, undefined);
    const edited = renderReport(en, {
      ...finished,
      failed: [],
      edit: { version: 2, edited: 2, total: 3, notEdited: [{ title: 'B', reason: 'not_editable' }] },
    });
    assert.match(
      edited.markdown,
      /Edited: 2 of 3 copies show the new text\.\s+Not edited:\s+- B: has a file or a card/,
    );
  });
  it('preview and approval cards are valid and carry their buttons', () => {
    const p = renderPreview(en, { broadcastId: ID, spaces: ['A', 'B'], cannotPost: ['B'], copy: 'hi' });
    assert.match(p.markdown, /This would reach 2 spaces:\s+- A\s+- B/);
    assert.match(p.markdown, /I cannot post to 1 of them/);
    assert.equal(validateCard(p.card?.content).actions?.length, 1);
    // A preview of many spaces is given the first names and the totals (the store counts in SQL).
    const many = renderPreview(en, {
      broadcastId: ID,
      spaces: Array.from({ length: PREVIEW_NAMES }, (_, i) => `S${i}`),
      cannotPost: ['S1'],
      totals: { spaces: 10_000, cannotPost: 40 },
      copy: 'hi',
    });
    assert.match(many.markdown, /This would reach 10000 spaces:/);
    assert.match(many.markdown, /… and 9970 more/);
    assert.match(many.markdown, /I cannot post to 40 of them/);
    const none = renderPreview(en, { broadcastId: ID, spaces: [], cannotPost: [], copy: 'hi' });
    assert.equal(validateCard(none.card?.content).actions, undefined, 'nothing to send: no button');
    const a = renderApproval(en, {
      broadcastId: ID,
      sender: { displayName: 'Al', email: 'al@x.example' },
      total: 5,
      copy: 'hi',
    });
    assert.deepEqual(
      validateCard(a.card?.content).actions?.map((x) => x.title),
      ['Approve', 'Reject'],
    );
  });
});

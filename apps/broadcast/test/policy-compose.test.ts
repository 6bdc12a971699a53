import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeId } from '@herald/webex';
import {
  composeCopy,
  composeReport,
  htmlToMarkdown,
  messageBody,
  spaceLink,
  stripBotMentionMarkdown,
} from '../src/compose.js';
import { parseConfig } from '../src/config.js';
import { templates } from '../src/locales.js';
import { isDestination, membershipAllowed, senderDecision } from '../src/policy.js';

const ORG_A = encodeId('ORGANIZATION', 'aaaaaaaa-0000-0000-0000-00000000000a');
const ORG_B = encodeId('ORGANIZATION', 'bbbbbbbb-0000-0000-0000-00000000000b');
const BOT_UUID = 'b0b0b0b0-0000-0000-0000-000000000001';
const bot = {
  id: encodeId('PEOPLE', BOT_UUID),
  orgId: ORG_A,
  emails: ['herald@webex.bot'],
  displayName: 'Herald Bot',
};
const alice = {
  id: encodeId('PEOPLE', 'a11ce000-0000-0000-0000-000000000002'),
  orgId: ORG_A,
  emails: ['Alice@Acme.example'],
};
const gina = {
  id: encodeId('PEOPLE', '61aa0000-0000-0000-0000-000000000003'),
  orgId: ORG_B,
  emails: ['gina@globex.example'],
};

describe('sender policy', () => {
  const listed = (...emails: string[]) => ({ source: { from_sender_list: true, sender_list: emails } });
  const cases: Array<[string, object, typeof alice, boolean]> = [
    ['anyone (both flags off)', { source: { bots_own_org: false } }, gina, true],
    ['bot org: same org', {}, alice, true],
    ['bot org: other org', {}, gina, false],
    ['sender list: listed, any case', listed('alice@acme.EXAMPLE'), alice, true],
    ['sender list: not listed', listed('bob@acme.example'), alice, false],
    ['sender list and bot org: listed but other org', listed('gina@globex.example'), gina, false],
    [
      'sender list matches any of the sender addresses',
      listed('second@acme.example'),
      { ...alice, emails: ['first@acme.example', 'second@acme.example'] },
      true,
    ],
  ];
  for (const [name, config, sender, allowed] of cases) {
    it(name, () => assert.equal(senderDecision(parseConfig(config), sender, bot).allowed, allowed));
  }
});

describe('destination policy', () => {
  const rooms = {
    source: { id: 'R-source', type: 'group' as const, ownerId: ORG_A },
    groupA: { id: 'R-a', type: 'group' as const, ownerId: ORG_A },
    groupB: { id: 'R-b', type: 'group' as const, ownerId: ORG_B },
    senderDirect: { id: 'D-alice', type: 'direct' as const, ownerId: ORG_A },
    otherDirect: { id: 'D-bob', type: 'direct' as const, ownerId: ORG_A },
    noOwner: { id: 'D-x', type: 'direct' as const },
  };
  const ctx = { bot, sender: alice, sourceRoomId: 'R-source', senderDirectRoomId: 'D-alice' };
  const pick = (config: object) =>
    Object.entries(rooms)
      .filter(([, r]) => isDestination(parseConfig(config), r, ctx))
      .map(([k]) => k);

  it('never the source space, never the sender 1-1 by default (D7, D8)', () => {
    assert.deepEqual(pick({ destination: { senders_own_org: false } }), [
      'groupA',
      'groupB',
      'otherDirect',
      'noOwner',
    ]);
  });
  it('the sender 1-1 when configured', () => {
    assert.ok(
      pick({ destination: { senders_own_org: false, include_sender_direct: true } }).includes('senderDirect'),
    );
  });
  it("sender's org (default): rooms without an owner fail closed", () => {
    assert.deepEqual(pick({}), ['groupA', 'otherDirect']);
  });
  it("bot's org and sender's org together", () => {
    const gctx = { ...ctx, sender: gina };
    const both = parseConfig({ destination: { bots_own_org: true, senders_own_org: true } });
    assert.equal(isDestination(both, rooms.groupA, gctx), false);
    assert.equal(isDestination(both, rooms.groupB, gctx), false);
    assert.equal(isDestination(both, rooms.groupA, ctx), true);
  });
  it('membership policy', () => {
    assert.equal(membershipAllowed(parseConfig({}), ORG_B, ORG_A), true);
    assert.equal(membershipAllowed(parseConfig({ membership: { bots_own_org: true } }), ORG_B, ORG_A), false);
    assert.equal(
      membershipAllowed(parseConfig({ membership: { bots_own_org: true } }), `${ORG_A}=`, ORG_A),
      true,
    );
    assert.equal(
      membershipAllowed(parseConfig({ membership: { bots_own_org: true } }), undefined, ORG_A),
      false,
    );
  });
});

describe('composition', () => {
  it('removes only the bot mention from markdown, keeping other mentions and formatting (D3)', () => {
    const md = `<@personId:${bot.id}|Herald> please tell <@personId:${alice.id}|Alice> the **news** <@personEmail:herald@webex.bot> now`;
    assert.equal(
      stripBotMentionMarkdown(md, bot),
      `please tell <@personId:${alice.id}|Alice> the **news** now`,
    );
  });
  it('recognises the bot by uuid too', () => {
    assert.equal(stripBotMentionMarkdown(`<@personId:${BOT_UUID}> hi`, bot), 'hi');
  });
  it('turns HTML back into markdown with mentions (D4)', () => {
    const html = `<p><spark-mention data-object-type="person" data-object-id="${bot.id}">Herald</spark-mention> tell <spark-mention data-object-type="person" data-object-id="${alice.id}">Alice</spark-mention> and <spark-mention data-object-type="groupMention" data-group-type="all">All</spark-mention> about <strong>this</strong> &amp; <a href="https://x.example/a?b=1&amp;c=2">that</a></p>`;
    assert.equal(
      htmlToMarkdown(html, bot),
      `tell <@personId:${alice.id}|Alice> and <@all> about **this** & [that](https://x.example/a?b=1&c=2)`,
    );
  });
  it('prefers markdown, then html, then text', () => {
    assert.equal(
      messageBody({ text: 'Herald hi', markdown: `<@personId:${bot.id}> *hi*`, html: '<p>x</p>' }, bot),
      '*hi*',
    );
    assert.equal(messageBody({ text: 'Herald hi', html: '<p>hello</p>' }, bot), 'hello');
    assert.equal(messageBody({ text: 'Herald hi there' }, bot), 'hi there');
    assert.equal(messageBody({ text: 'Herald Bot hi there' }, bot), 'hi there');
  });
  for (const locale of ['en_US', 'cs_CZ']) {
    it(`fills both templates in ${locale}`, () => {
      const t = templates(locale);
      const sender = { id: alice.id, displayName: 'Alice Smith', email: 'alice@acme.example' };
      const group = composeCopy(t, 'group', sender, 'Body');
      const direct = composeCopy(t, 'direct', sender, 'Body');
      const word = locale === 'en_US' ? 'Message from' : 'Zpráva od';
      assert.equal(group, `${word} <@personId:${alice.id}>:  \n\nBody`);
      assert.equal(direct, `${word} Alice Smith (alice@acme.example):  \n\nBody`);
    });
  }
  it('reports delivered counts and failures', () => {
    const r = composeReport(templates('en_US'), 2, 3, [{ title: 'News', reason: '403 not a moderator' }]);
    assert.match(r, /Delivered to 2 of 3 spaces\./);
    assert.match(r, /- News: 403 not a moderator/);
    assert.equal(composeReport(templates('en_US'), 0, 0, []), templates('en_US').report_nothing);
  });
  it('links a space by its uuid, whatever the padding (D20)', () => {
    const room = encodeId('ROOM', 'bbceb1ad-43f1-3b58-9147-f14bb0c4d154');
    assert.equal(spaceLink(room), 'webexteams://im?space=bbceb1ad-43f1-3b58-9147-f14bb0c4d154');
    assert.equal(spaceLink(`${room}==`), 'webexteams://im?space=bbceb1ad-43f1-3b58-9147-f14bb0c4d154');
  });
});

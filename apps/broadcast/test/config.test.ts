import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, DEFAULT_CONFIG, loadSettings, parseConfig } from '../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe('config', () => {
  it('defaults equal the original default_config.json', () => {
    assert.deepEqual(parseConfig({}).source, {
      bots_own_org: true,
      from_sender_list: false,
      sender_list: [],
    });
    assert.deepEqual(parseConfig({}).destination, {
      bots_own_org: false,
      senders_own_org: true,
      include_sender_direct: false,
    });
    assert.deepEqual(parseConfig({}).membership, { bots_own_org: false });
  });

  it('deep-merges a partial section over the defaults (the original replaced whole sections, D1)', () => {
    const c = parseConfig({ source: { from_sender_list: true, sender_list: ['Boss@Example.com'] } });
    assert.equal(c.source.bots_own_org, true);
    assert.equal(c.source.from_sender_list, true);
    assert.deepEqual(c.source.sender_list, ['boss@example.com']);
    assert.deepEqual(c.destination, DEFAULT_CONFIG.destination);
  });

  it('reads the original empty-object sender_list as an empty list', () => {
    assert.deepEqual(parseConfig({ source: { sender_list: {} } }).source.sender_list, []);
  });

  const bad: Array<[string, unknown, RegExp]> = [
    ['an unknown key', { source: { bots_own_orgg: true } }, /unknown key source\.bots_own_orgg/],
    ['an unknown section', { sources: {} }, /unknown key sources/],
    ['a wrong type', { destination: { senders_own_org: 'yes' } }, /destination\.senders_own_org/],
    ['a bad e-mail', { source: { sender_list: ['not-an-email'] } }, /source\.sender_list\.0/],
    [
      'a string sender_list (substring matching, D16)',
      { source: { sender_list: 'a@x.com,b@y.com' } },
      /source\.sender_list/,
    ],
    ['an unknown locale', { locale: 'xx_XX' }, /locale: unknown locale "xx_XX"; installed: cs_CZ, en_US/],
  ];
  for (const [what, value, message] of bad) {
    it(`refuses ${what}, naming the field`, () => {
      assert.throws(
        () => parseConfig(value, 'config.json'),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, message);
          return true;
        },
      );
    });
  }

  it('loads settings from the environment', () => {
    const path = file('ok.json', JSON.stringify({ membership: { bots_own_org: true }, locale: 'cs_CZ' }));
    const s = loadSettings({ WEBEX_TOKEN: 't', CONFIG_FILE: path });
    assert.equal(s.token, 't');
    assert.equal(s.locale, 'cs_CZ');
    assert.equal(s.config.membership.bots_own_org, true);
    assert.equal(
      loadSettings({ WEBEX_TEAMS_ACCESS_TOKEN: 'a', WEBEX_TOKEN: 'b', CONFIG_FILE: path, LOCALE: 'en_US' })
        .token,
      'a',
    );
    assert.equal(loadSettings({ WEBEX_TOKEN: 't', CONFIG_FILE: path, LOCALE: 'en_US' }).locale, 'en_US');
  });

  it('names what is wrong in the environment', () => {
    assert.throws(() => loadSettings({}), /WEBEX_TEAMS_ACCESS_TOKEN/);
    assert.throws(
      () => loadSettings({ WEBEX_TOKEN: 't', CONFIG_FILE: join(dir, 'missing.json') }),
      /CONFIG_FILE/,
    );
    assert.throws(
      () => loadSettings({ WEBEX_TOKEN: 't', CONFIG_FILE: file('bad.json', '{') }),
      /not valid JSON/,
    );
    const ok = file('empty.json', '{}');
    assert.throws(
      () => loadSettings({ WEBEX_TOKEN: 't', CONFIG_FILE: ok, LOCALE: 'de_DE' }),
      /LOCALE: unknown locale/,
    );
    assert.throws(
      () => loadSettings({ WEBEX_TOKEN: 't', CONFIG_FILE: ok, PUBLIC_URL: 'https://bot.example' }),
      /WEBHOOK_SECRET/,
    );
    assert.throws(() => loadSettings({ WEBEX_TOKEN: 't', CONFIG_FILE: ok, PORT: 'http' }), /PORT/);
  });
});

/**
 * Fuzzing of the configuration readers (config file and environment): whatever the file or the
 * environment holds, the answer is settings or a `ConfigError` naming the field, never another
 * exception, and the error never echoes the token or the webhook secret. Fixed seed, bounded runs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { ConfigError, DEFAULT_CONFIG, loadSettings, parseConfig } from '../src/config.js';

const SEED = 20260724;
const TOKEN = 'FUZZ_TOKEN_abcdef0123456789';
const SECRET = 'fuzz-webhook-secret-0123456789';

/** The default config with some keys replaced by arbitrary values, at any depth. */
const mutated = fc
  .tuple(
    fc.constantFrom(
      ['source', 'sender_list'],
      ['source', 'bots_own_org'],
      ['destination', 'include_sender_direct'],
      ['delivery', 'rate_per_second'],
      ['delivery', 'workers'],
      ['delivery', 'lease_seconds'],
      ['admins'],
      ['approval', 'enabled'],
      ['approval', 'room_id'],
      ['locale'],
      ['unknown_key'],
      ['delivery', 'extra'],
    ),
    fc.jsonValue(),
  )
  .map(([path, value]) => {
    const c = JSON.parse(JSON.stringify(DEFAULT_CONFIG)) as Record<string, unknown>;
    let at = c;
    for (const k of path.slice(0, -1)) at = (at[k] ?? {}) as Record<string, unknown>;
    at[path.at(-1) as string] = value;
    return c;
  });

describe('config fuzz', () => {
  const dir = mkdtempSync(join(tmpdir(), 'herald-config-fuzz-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('property: parseConfig returns a config or throws ConfigError (fixed seed)', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, fc.jsonValue(), fc.anything()), (input) => {
        try {
          const c = parseConfig(input);
          assert.ok(c.delivery.workers >= 1);
        } catch (err) {
          assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
        }
      }),
      { seed: SEED, numRuns: 1500 },
    );
  });

  it('property: loadSettings over any file and environment: settings or a ConfigError without secrets (fixed seed)', () => {
    const file = join(dir, 'config.json');
    const envValue = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom('', '0', '65536', 'http://x', 'ftp://x'),
    );
    const env = fc.record(
      {
        PORT: envValue,
        PUBLIC_URL: envValue,
        LOCALE: fc.oneof(envValue, fc.constantFrom('en_US', 'cs_CZ')),
        HERALD_ALLOWED_ORIGINS: envValue,
        WEBHOOK_SECRET: fc.constantFrom(SECRET, 'short'),
      },
      { requiredKeys: [] },
    );
    const content = fc.oneof(
      mutated.map((c) => JSON.stringify(c)),
      fc.string({ maxLength: 200 }),
      fc.json(),
    );
    fc.assert(
      fc.property(content, env, (text, e) => {
        writeFileSync(file, text);
        try {
          const s = loadSettings({ ...e, WEBEX_TOKEN: TOKEN, CONFIG_FILE: file });
          assert.equal(s.token, TOKEN);
        } catch (err) {
          assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
          assert.ok(!err.message.includes(TOKEN), 'the token is not echoed');
          assert.ok(!err.message.includes(SECRET), 'the webhook secret is not echoed');
        }
      }),
      { seed: SEED, numRuns: 400 },
    );
  });
});

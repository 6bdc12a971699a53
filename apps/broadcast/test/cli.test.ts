// The CLI refuses a wrong configuration before starting: it names the field and exits with status 2.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'herald-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function herald(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', HERALD_SQLITE: join(dir, 'x.sqlite'), ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

describe('herald CLI', () => {
  const cases: Array<[string, Record<string, unknown> | string, Record<string, string>, RegExp]> = [
    [
      'an unknown key',
      { destination: { sender_own_org: true } },
      {},
      /unknown key destination\.sender_own_org/,
    ],
    ['a wrong type', { membership: { bots_own_org: 'yes' } }, {}, /membership\.bots_own_org/],
    ['broken JSON', '{"source": ', {}, /not valid JSON/],
    ['an unknown locale', {}, { LOCALE: 'xx_XX' }, /LOCALE: unknown locale/],
    ['a missing token', {}, { WEBEX_TOKEN: '' }, /WEBEX_TEAMS_ACCESS_TOKEN/],
  ];
  for (const [what, content, env, message] of cases) {
    it(`start with ${what}: exit 2, the field named, nothing started`, () => {
      const file = join(dir, `${what.replace(/\W+/g, '-')}.json`);
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
      const r = herald(['start'], { WEBEX_TOKEN: 'secret-token-value', CONFIG_FILE: file, ...env });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /configuration error/);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr + r.stdout, /secret-token-value/);
      assert.doesNotMatch(r.stdout, /running/);
    });
  }

  it('an unknown command prints the usage and exits 2', () => {
    const r = herald(['frobnicate'], {});
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown command/);
  });
});

/** Function-mode settings and the Lambda self-invocation, without a cloud. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadSettings } from '../../src/config.js';
import { lambdaSelfInvoke } from '../../src/functions/lambda.js';
import { loadFunctionSettings } from '../../src/functions/settings.js';

const base = {
  WEBEX_TOKEN: 'FN_SETTINGS_TOKEN',
  WEBHOOK_SECRET: 'a-webhook-secret-of-length',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
  CONFIG_FILE: undefined,
};

describe('function settings', () => {
  it('refuse SQLite with an error naming DATABASE_URL', () => {
    assert.throws(
      () => loadFunctionSettings({ ...base, DATABASE_URL: undefined, HERALD_SQLITE: '/tmp/x.sqlite' }),
      (err: unknown) =>
        err instanceof ConfigError && /^DATABASE_URL: function mode needs PostgreSQL/.test(err.message),
    );
  });

  it('need a webhook secret, and never show it', () => {
    assert.throws(
      () => loadFunctionSettings({ ...base, WEBHOOK_SECRET: undefined }),
      /WEBHOOK_SECRET: required/,
    );
    assert.throws(
      () => loadFunctionSettings({ ...base, WEBHOOK_SECRET: 'short-secret' }),
      (err: unknown) => err instanceof Error && !err.message.includes('short-secret'),
    );
  });

  it('read the config JSON from HERALD_CONFIG_JSON, errors naming it and the field', () => {
    const s = loadFunctionSettings({
      ...base,
      HERALD_CONFIG_JSON: JSON.stringify({ delivery: { workers: 7 }, admins: ['Boss@Example.com'] }),
    });
    assert.equal(s.config.delivery.workers, 7);
    assert.deepEqual(s.config.admins, ['boss@example.com']);
    assert.throws(
      () => loadSettings({ ...base, HERALD_CONFIG_JSON: '{"delivery":' }),
      /HERALD_CONFIG_JSON: not valid JSON/,
    );
    assert.throws(
      () => loadSettings({ ...base, HERALD_CONFIG_JSON: '{"delivery":{"workers":0}}' }),
      /HERALD_CONFIG_JSON: delivery\.workers/,
    );
    assert.throws(
      () => loadSettings({ ...base, HERALD_CONFIG_JSON: '{}', CONFIG_FILE: 'config.json' }),
      /HERALD_CONFIG_JSON and CONFIG_FILE are both set/,
    );
  });

  it('read the drain budget and margin in ms, refusing anything else', () => {
    const s = loadFunctionSettings({
      ...base,
      HERALD_DRAIN_BUDGET_MS: '50000',
      HERALD_DRAIN_MARGIN_MS: '2500',
    });
    assert.equal(s.drainBudgetMs, 50_000);
    assert.equal(s.drainMarginMs, 2500);
    assert.throws(
      () => loadFunctionSettings({ ...base, HERALD_DRAIN_MARGIN_MS: '2s' }),
      /HERALD_DRAIN_MARGIN_MS/,
    );
  });
});

describe('Lambda self-invocation (the kick)', () => {
  const env = {
    AWS_LAMBDA_FUNCTION_NAME: 'herald-bot',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    AWS_SESSION_TOKEN: 'session-token-example',
  };

  it('is off outside Lambda', () => {
    assert.equal(lambdaSelfInvoke({}), undefined);
  });

  it('POSTs an Event invocation of the same function, signed with SigV4 for lambda', async () => {
    const calls: Array<{ url: string; init: RequestInit }> = [];
    const kick = lambdaSelfInvoke(env, async (url, init) => {
      calls.push({ url: String(url), init: init ?? {} });
      return new Response(null, { status: 202 });
    });
    await kick!();
    assert.equal(calls.length, 1);
    const { url, init } = calls[0]!;
    assert.equal(url, 'https://lambda.eu-west-1.amazonaws.com/2015-03-31/functions/herald-bot/invocations');
    assert.equal(init.method, 'POST');
    assert.equal(init.body, '{"herald":"drain"}');
    const h = init.headers as Record<string, string>;
    assert.equal(h['X-Amz-Invocation-Type'] ?? h['x-amz-invocation-type'], 'Event');
    assert.equal(h['X-Amz-Security-Token'], 'session-token-example');
    assert.match(
      h.Authorization ?? '',
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/lambda\/aws4_request, SignedHeaders=[^,]*x-amz-invocation-type[^,]*, Signature=[0-9a-f]{64}$/,
    );
    assert.ok(!('Host' in h) && !('host' in h), 'fetch sets Host itself');
  });

  it('fails when Lambda does not queue the invocation', async () => {
    const kick = lambdaSelfInvoke(env, async () => new Response('{"Message":"denied"}', { status: 403 }));
    await assert.rejects(async () => kick!(), /answered 403/);
  });
});

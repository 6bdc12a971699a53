/** syncWebhooks against an in-memory webhooks API that follows Webex's PUT rules (docs/protocol.md §7.7). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { syncWebhooks, type Webhook, type WebhookRegistrationClient } from '@herald/webex';

function memoryApi(initial: Array<Partial<Webhook> & Pick<Webhook, 'name' | 'resource' | 'event'>> = []) {
  let n = 0;
  const hooks = new Map<string, Webhook>();
  const calls: string[] = [];
  const add = (w: Partial<Webhook> & Pick<Webhook, 'name' | 'resource' | 'event'>) => {
    const id = `wh${++n}`;
    hooks.set(id, { targetUrl: 'https://x/y', status: 'active', created: 'c', ...w, id });
    return hooks.get(id) as Webhook;
  };
  for (const w of initial) add(w);
  const client: WebhookRegistrationClient = {
    webhooks: {
      async *list() {
        yield* [...hooks.values()].map((w) => ({ ...w }));
      },
      async create(body) {
        calls.push(`create ${body.name}`);
        return add(body);
      },
      async update(id, body) {
        calls.push(`update ${body.name}`);
        const w = hooks.get(id);
        if (!w) throw new Error('404');
        // Webex changes only these four (§7.7).
        Object.assign(w, { name: body.name, targetUrl: body.targetUrl, secret: body.secret });
        if (body.status === 'active') w.status = 'active';
        return { ...w };
      },
      async delete(id) {
        const w = hooks.get(id);
        calls.push(`delete ${w?.name}`);
        hooks.delete(id);
      },
    },
  };
  return { client, hooks, calls };
}

const targetUrl = 'https://bot.example/webhook';
const secret = 's1';

test('creates the default set, then a second run is a no-op', async () => {
  const { client, calls } = memoryApi();
  const first = await syncWebhooks({ client, targetUrl, secret });
  assert.deepEqual(calls, ['create herald:all:all', 'create herald:attachmentActions:created']);
  assert.equal(first.webhooks.length, 2);
  calls.length = 0;
  const second = await syncWebhooks({ client, targetUrl, secret });
  assert.deepEqual(calls, []);
  assert.equal(second.summary.keep, 2);
});

test('fixes ours with PUT, reactivates, recreates on a filter change, deletes unwanted ours, leaves foreign', async () => {
  const { client, calls, hooks } = memoryApi([
    {
      name: 'herald:messages:created',
      resource: 'messages',
      event: 'created',
      targetUrl: 'https://old/x',
      secret,
    },
    {
      name: 'herald:memberships:all',
      resource: 'memberships',
      event: 'all',
      targetUrl,
      secret,
      status: 'inactive',
    },
    {
      name: 'herald:rooms:all:type=group',
      resource: 'rooms',
      event: 'all',
      filter: 'type=group',
      targetUrl,
      secret,
    },
    {
      name: 'herald:attachmentActions:created',
      resource: 'attachmentActions',
      event: 'created',
      targetUrl,
      secret,
    },
    { name: 'someone else', resource: 'messages', event: 'created', targetUrl, secret },
  ]);
  /** The wanted set: new messages, all membership events, and room events under `roomsFilter`. */
  const sync = (roomsFilter: string) =>
    syncWebhooks({
      client,
      targetUrl,
      secret,
      resources: [
        { resource: 'messages', event: 'created' },
        { resource: 'memberships', event: 'all' },
        { resource: 'rooms', event: 'all', filter: roomsFilter },
      ],
    });
  const result = await sync('isLocked=true&type=group');
  const byKind = Object.fromEntries(Object.entries(result.summary).filter(([, count]) => count > 0));
  assert.deepEqual(byKind, { update: 2, recreate: 1, delete: 1, leave: 1 });
  const updates = result.actions.filter((a) => a.kind === 'update');
  assert.deepEqual(
    updates.map((a) => a.changes),
    [['targetUrl'], ['status']],
  );
  assert.deepEqual(calls, [
    'update herald:messages:created',
    'update herald:memberships:all',
    'create herald:rooms:all:isLocked=true&type=group',
    'delete herald:rooms:all:type=group',
    'delete herald:attachmentActions:created',
  ]);
  assert.ok(
    [...hooks.values()].some((w) => w.name === 'someone else'),
    'foreign webhook survives',
  );
  calls.length = 0;
  await sync('type=group&isLocked=true');
  assert.deepEqual(calls, [], 'idempotent, whatever the filter pair order');
});

test('dryRun changes nothing; deleteForeign removes others; bad options are refused', async () => {
  const { client, calls } = memoryApi([{ name: 'someone else', resource: 'messages', event: 'created' }]);
  const plan = await syncWebhooks({ client, targetUrl, secret, dryRun: true, deleteForeign: true });
  assert.equal(calls.length, 0);
  assert.deepEqual(plan.summary.create + plan.summary.delete, 3);
  await syncWebhooks({ client, targetUrl, secret, deleteForeign: true });
  assert.ok(calls.includes('delete someone else'));
  await assert.rejects(syncWebhooks({ client, targetUrl: 'ftp://x', secret }), /targetUrl/);
  await assert.rejects(syncWebhooks({ client, targetUrl, secret: '' }), /secret/);
  await assert.rejects(syncWebhooks({ client, targetUrl, secret, namePrefix: 'a:b' }), /namePrefix/);
});

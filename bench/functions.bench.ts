/**
 * Function mode: how long a webhook invocation takes to answer for a bot in 1,000 spaces. The call
 * verifies, hydrates (GET the message), records the broadcast, plans it (one paginated listing of
 * the rooms, 1,000 delivery rows) and answers; it sends no copy. Beside it, the same delivery's
 * answer from the library receiver alone, which answers before hydrating and records nothing (the
 * long-running bot's webhook path). Emulator and PostgreSQL (`DATABASE_URL`) on this machine.
 * Target: p99 of the function's answer under 1 s.
 */
import { randomUUID } from 'node:crypto';
import { manySpacesSeed, startEmulator } from '@herald/emulator';
import { encodeId, signWebexBody, WebexClient, WebhookReceiver } from '@herald/webex';
import { sql } from 'kysely';
import { FunctionCore } from '../apps/broadcast/src/functions/core.js';
import { createLambdaHandler } from '../apps/broadcast/src/functions/lambda.js';
import { Store } from '../apps/broadcast/src/store/store.js';
import { functionSettings } from '../harness/function-settings.js';
import { type BenchTable, percentile } from '../harness/table.js';

const SPACES = 1000;
const CALLS = 40;
const SECRET = 'bench-function-secret-0123456789';

export default async function functionsBench(): Promise<BenchTable[]> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.log('functions bench skipped: DATABASE_URL is not set (function mode needs PostgreSQL)');
    return [];
  }
  const emu = await startEmulator({
    port: 0,
    seed: manySpacesSeed({ spaces: SPACES, botToken: 'BENCH_FN_BOT', personToken: 'BENCH_FN_ALICE' }),
  });
  const schema = `bench_fn_${process.pid}_${Date.now().toString(36)}`;
  const core = new FunctionCore(
    functionSettings(emu, { token: 'BENCH_FN_BOT', databaseUrl, webhookSecret: SECRET }),
    { schema },
  );
  let kicks = 0;
  const handler = createLambdaHandler({ core: () => core, kick: () => void kicks++ });
  const context = { getRemainingTimeInMillis: () => 10_000 };
  const world = emu.world;
  const alice = world.findPerson('alice')!;
  const direct = world.findRoom('alice-bot')!;
  const bot = world.findPerson('bot')!;
  const copies = () => [...world.messages.values()].filter((m) => m.personId === bot.id).length;
  const delivery = () => {
    const m = world.postMessage(alice.id, { roomId: direct.id, text: `news ${randomUUID()}` });
    const body = JSON.stringify({
      id: encodeId('WEBHOOK', randomUUID()),
      name: 'herald-broadcast messages:created',
      resource: 'messages',
      event: 'created',
      created: new Date().toISOString(),
      actorId: encodeId('PEOPLE', alice.id),
      data: {
        id: encodeId('MESSAGE', m.id),
        roomId: encodeId('ROOM', direct.id),
        roomType: 'direct',
        personId: encodeId('PEOPLE', alice.id),
        personEmail: alice.emails[0],
        created: m.created,
      },
    });
    return { body, signature: signWebexBody(SECRET, body) };
  };
  const event = (d: { body: string; signature: string }) => ({
    version: '2.0',
    headers: { 'content-type': 'application/json', 'x-spark-signature': d.signature },
    body: d.body,
    requestContext: { http: { method: 'POST' } },
  });

  try {
    // Warm up: migrations, the bot's identity, the first connections (a cold start, not counted).
    await handler(event(delivery()), context);
    const receiver = new WebhookReceiver({
      secret: SECRET,
      client: new WebexClient({ token: 'BENCH_FN_BOT', baseUrl: `${emu.url}/v1` }),
      dedupe: false,
    });
    const fn: number[] = [];
    const answerOnly: number[] = [];
    const sentBefore = copies();
    for (let i = 0; i < CALLS; i++) {
      const d = delivery();
      const t0 = performance.now();
      const r = (await handler(event(d), context)) as { statusCode: number };
      fn.push(performance.now() - t0);
      if (r.statusCode !== 200) throw new Error(`webhook answered ${r.statusCode}`);
      const t1 = performance.now();
      const answer = await receiver.handle({
        headers: { 'x-spark-signature': d.signature },
        rawBody: d.body,
      });
      answerOnly.push(performance.now() - t1);
      await answer.processed;
    }
    const sentDuring = copies() - sentBefore;
    const store = new Store({ databaseUrl, schema });
    const planned = await store.countDeliveries();
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
    await store.close();
    const p99 = percentile(fn, 99);
    return [
      {
        title: `functions: webhook invocation answer, bot in ${SPACES} spaces (${CALLS} calls, ms)`,
        columns: ['path', 'p50', 'p90', 'p99', 'max'],
        rows: [
          ['function webhook: verify, hydrate, record, plan 1,000 rows, kick', ...stats(fn)],
          ['peer: library receiver, answer before processing (long-running bot)', ...stats(answerOnly)],
        ],
        notes: [
          `copies sent during the webhook calls: ${sentDuring}; deliveries recorded: ${planned.pending + planned.sending + planned.sent}; drains kicked: ${kicks}`,
        ],
        targets: [
          { what: `function webhook p99 < 1000 ms (${p99.toFixed(0)} ms)`, met: p99 < 1000 },
          { what: 'no copy is sent by a webhook call', met: sentDuring === 0 },
        ],
      },
    ];
  } finally {
    await core.close();
    await emu.stop();
  }
}

function stats(values: number[]): number[] {
  return [percentile(values, 50), percentile(values, 90), percentile(values, 99), Math.max(...values)];
}

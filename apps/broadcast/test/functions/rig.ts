/**
 * Function-mode rig: the emulator in-process, the bot's Lambda handler run by `lambda-local` (it
 * builds Lambda's `event` and `context` and enforces the timeout), a small HTTP server in front of
 * it that turns the emulator's webhook POSTs into API Gateway v2 events, as API Gateway or a
 * function URL would, and PostgreSQL in a schema of the test's own.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import azureFunctions from '@azure/functions';
import { type RunningEmulator, type Seed, startEmulator } from '@herald/emulator';
import { WebexClient } from '@herald/webex';
import { sql } from 'kysely';
import lambdaLocal from 'lambda-local';
import { functionSettings } from '../../../../harness/function-settings.js';
import { createAzureHandlers, drainQueueOutput } from '../../src/functions/azure-handlers.js';
import { type DrainReport, FunctionCore, type Kick } from '../../src/functions/core.js';
import { createLambdaHandler, DRAIN_EVENT, type LambdaHandler } from '../../src/functions/lambda.js';
import type { FunctionSettings } from '../../src/functions/settings.js';
import { Store } from '../../src/store/store.js';
import { registerBotWebhooks } from '../../src/webhooks.js';

// The classes are CommonJS exports that Node's ESM loader cannot name: take them off the default.
const { HttpRequest, InvocationContext } = azureFunctions;

export const DATABASE_URL = process.env.DATABASE_URL;
export const SKIP = DATABASE_URL
  ? false
  : 'DATABASE_URL is not set: function-mode tests need PostgreSQL (CI sets it)';
export const SECRET = 'function-webhook-secret-0123456789';

let schemas = 0;

export interface RigOptions {
  seed: Seed;
  token: string;
  /** Config over the rig's defaults. */
  config?: object;
  /** Drain budget handed to lambda-local as the timeout, ms. Default 5000. */
  budgetMs?: number;
  /** The webhook's kick; default: count it. */
  kick?: Kick;
  /** Which entry receives webhooks and drains: the Lambda handler (default) or the Azure handlers. */
  entry?: 'lambda' | 'azure';
}

export type Rig = Awaited<ReturnType<typeof startRig>>;

export function settingsFor(emu: RunningEmulator, token: string, config: object = {}): FunctionSettings {
  return functionSettings(emu, {
    token,
    databaseUrl: DATABASE_URL ?? '',
    webhookSecret: SECRET,
    config: { delivery: { rate_per_second: 200, workers: 4, lease_seconds: 30, max_attempts: 3 }, ...config },
  });
}

export function newSchema(tag: string): string {
  return `t_fn_${tag}_${process.pid}_${Date.now().toString(36)}_${schemas++}`;
}

export async function startRig(options: RigOptions) {
  const emu = await startEmulator({ port: 0, seed: options.seed });
  const schema = newSchema('rig');
  const settings = settingsFor(emu, options.token, options.config);
  let clockShift = 0;
  const coreOptions = { schema, pollMs: 50, idleExitMs: 500, now: () => Date.now() + clockShift };
  const core = new FunctionCore(settings, coreOptions);
  let kicks = 0;
  const kick: Kick = options.kick ?? (() => void kicks++);
  const handler: LambdaHandler = createLambdaHandler({ core: () => core, kick });
  const budgetMs = options.budgetMs ?? 5000;
  /** Deliveries as the rig's server received them, to replay. */
  const received: Array<{ headers: Record<string, string>; body: string }> = [];

  const invoke = (event: unknown, timeoutMs: number) =>
    lambdaLocal.execute({
      event,
      lambdaFunc: { handler },
      lambdaHandler: 'handler',
      timeoutMs,
      verboseLevel: 0,
    });

  /** A webhook as API Gateway v2 (and function URLs) gives it: lower-case headers, base64 body. */
  const webhookEvent = (headers: Record<string, string>, body: string) => ({
    version: '2.0',
    routeKey: '$default',
    rawPath: '/webhook',
    headers,
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
    requestContext: { http: { method: 'POST', path: '/webhook' } },
  });
  const azure = createAzureHandlers(() => core);
  /** The webhook through `@azure/functions`' own request and context; a queued drain counts as a kick. */
  const azureWebhook = async (headers: Record<string, string>, body: string) => {
    const request = new HttpRequest({
      method: 'POST',
      url: `${url}/api/webhook`,
      headers,
      body: { string: body },
    });
    const context = new InvocationContext({ functionName: 'herald-webhook' });
    const response = await azure.webhook(request, context);
    if (context.extraOutputs.get(drainQueueOutput)) await kick();
    return { statusCode: response.status ?? 200, body: String(response.body ?? '') };
  };
  const webhook = (headers: Record<string, string>, body: string) =>
    options.entry === 'azure'
      ? azureWebhook(headers, body)
      : (invoke(webhookEvent(headers, body), 10_000) as Promise<{ statusCode: number; body: string }>);

  let url = '';
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ headers, body });
      webhook(headers, body).then(
        (r) => res.writeHead(r.statusCode, { 'content-type': 'text/plain' }).end(r.body),
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Registration as `herald webhooks sync` does it: functions have no start-up step.
  await registerBotWebhooks(new WebexClient({ token: options.token, baseUrl: `${emu.url}/v1` }), url, SECRET);

  /** A second look at the same database, for assertions. */
  const store = new Store({ databaseUrl: DATABASE_URL, schema });

  const world = emu.world;
  const person = (key: string) => world.findPerson(key)!;
  const room = (key: string) => world.findRoom(key)!;
  const bot = person('bot');

  /** One drain invocation under lambda-local, with the budget as its timeout. */
  const drain = (timeoutMs = budgetMs) =>
    options.entry === 'azure'
      ? azure.drain({ isPastDue: false }, new InvocationContext({ functionName: 'herald-drain-timer' }))
      : (invoke(DRAIN_EVENT, timeoutMs) as Promise<DrainReport>);

  /** Drains, one after another, until nothing is left; returns their reports. */
  async function drainUntilIdle(maxDrains = 40): Promise<DrainReport[]> {
    const reports: DrainReport[] = [];
    await emu.control.webhooks.idle();
    for (let i = 0; i < maxDrains; i++) {
      const r = await drain();
      reports.push(r);
      await emu.control.webhooks.idle();
      if (r.ended === 'idle' && (await store.isIdle())) return reports;
    }
    throw new Error(`not idle after ${maxDrains} drains`);
  }

  /** Copies (bot messages, not deleted) per room id, among `roomIds`. */
  function copies(roomIds: Iterable<string>): Map<string, number> {
    const wanted = new Set(roomIds);
    const counts = new Map<string, number>();
    for (const m of world.messages.values()) {
      if (m.personId === bot.id && wanted.has(m.roomId) && !m.deleted)
        counts.set(m.roomId, (counts.get(m.roomId) ?? 0) + 1);
    }
    return counts;
  }

  /** Post as a person and wait until the webhook call for it has answered. */
  async function post(personKey: string, input: Parameters<typeof world.postMessage>[1]) {
    const m = world.postMessage(person(personKey).id, input);
    await emu.control.webhooks.idle();
    return m;
  }

  return {
    emu,
    world,
    core,
    settings,
    schema,
    store,
    url,
    received,
    person,
    room,
    bot,
    webhook,
    webhookEvent,
    invoke,
    drain,
    drainUntilIdle,
    copies,
    post,
    get kicks() {
      return kicks;
    },
    /** Move the bot's clock on (leases of a dead invocation expire). */
    shiftClock(ms: number) {
      clockShift += ms;
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await core.close();
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
      await store.close();
      await emu.stop();
    },
  };
}

/**
 * Scenario harness: the emulator in-process with a two-org seed, the bot (`runBot`) against it over
 * Mercury or webhooks, helpers to act as people and to read what the bot did.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Message,
  type PostMessageInput,
  type RunningEmulator,
  type Seed,
  seedAnnouncementSpace,
  seedBot,
  seedBotDirect,
  seedOrg,
  seedPerson,
  startEmulator,
} from '@herald/emulator';
import { encodeId, type Logger, silentLogger } from '@herald/webex';
import type { EnvProxy } from '@herald/webex/proxy';
import { type RunningBot, type RunOptions, runBot } from '../src/app.js';
import { type BroadcastConfig, parseConfig, type Settings } from '../src/config.js';

export type TransportName = 'mercury' | 'webhook';
export const TRANSPORTS: TransportName[] = ['mercury', 'webhook'];

export const BOT_TOKEN = 'SCENARIO_BOT_TOKEN';
export const WEBHOOK_SECRET = 'scenario-webhook-secret-0123456789';

export const twoOrgSeed: Seed = {
  orgs: [seedOrg('acme', 'Acme'), seedOrg('globex', 'Globex')],
  people: [
    seedBot(BOT_TOKEN),
    seedPerson('alice', 'acme', 'Alice Archer', 'ALICE'),
    seedPerson('bob', 'acme', 'Bob Baker', 'BOB'),
    seedPerson('gina', 'globex', 'Gina Gold', 'GINA'),
    seedPerson('hank', 'globex', 'Hank Hill', 'HANK'),
  ],
  rooms: [
    { key: 'acme-1', title: 'Acme One', creator: 'alice', members: ['bob', 'bot'] },
    { key: 'acme-2', title: 'Acme Two', creator: 'bob', members: ['bot'] },
    seedAnnouncementSpace('acme-announce', 'Acme Announcements', 'alice', ['bot']),
    { key: 'globex-1', title: 'Globex One', creator: 'gina', members: ['hank', 'bot'] },
    seedBotDirect('alice', 'Alice'),
    seedBotDirect('bob', 'Bob'),
    seedBotDirect('gina', 'Gina'),
  ],
};

/** A free TCP port on 127.0.0.1, for the bot's HTTP server (the webhook target). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface EmulatorBotOptions {
  emu: RunningEmulator;
  token: string;
  config: BroadcastConfig;
  transport: TransportName;
  /** Secret of the bot's webhooks; used over the webhook transport only. */
  webhookSecret: string;
  /** Port of the bot's HTTP server on 127.0.0.1, the webhook target (see `freePort`). */
  port: number;
  /** The store: PostgreSQL at `databaseUrl` (in `schema`) when given, else SQLite at `sqlitePath`. */
  sqlitePath: string;
  databaseUrl?: string | undefined;
  schema?: string | undefined;
  /** Default `en_US`. */
  locale?: string | undefined;
  instanceId: string;
  /** Default `silentLogger`. */
  logger?: Logger | undefined;
  /** The bot's clock (leases, retry times, retention); default `Date.now`. */
  now?: (() => number) | undefined;
  /** Start-up's retry policy; default the app's. */
  startRetry?: RunOptions['startRetry'];
  /** The proxy the bot's requests and Mercury upgrade go through; default direct. */
  proxy?: EnvProxy | undefined;
}

/**
 * The broadcast bot in-process against an emulator: its REST, U2C, WDM and Mercury, or webhooks to
 * `http://127.0.0.1:<port>`; the work loops poll every 25 ms.
 */
export function runBotOnEmulator(o: EmulatorBotOptions): Promise<RunningBot> {
  const webhook = o.transport === 'webhook';
  const settings: Settings = {
    token: o.token,
    config: o.config,
    locale: o.locale ?? 'en_US',
    databaseUrl: o.databaseUrl,
    sqlitePath: o.sqlitePath,
    publicUrl: webhook ? `http://127.0.0.1:${o.port}` : undefined,
    webhookSecret: webhook ? o.webhookSecret : undefined,
    port: o.port,
    logLevel: 'silent',
    apiBaseUrl: `${o.emu.url}/v1`,
  };
  return runBot(settings, {
    logger: o.logger ?? silentLogger,
    instanceId: o.instanceId,
    u2cUrl: `${o.emu.url}/u2c/api/v1`,
    allowedOrigins: [o.emu.url, o.emu.wsUrl],
    port: o.port,
    host: '127.0.0.1',
    pollMs: 25,
    schema: o.schema,
    now: o.now,
    startRetry: o.startRetry,
    proxy: o.proxy,
  });
}

export interface ScenarioOptions {
  transport: TransportName;
  /** Config over the scenario's defaults; a function gets the seeded room ids (e.g. for approval). */
  config?: object | ((ids: { room: (key: string) => string }) => object);
  locale?: string;
  seed?: Seed;
  /** Extra bot instances sharing the store (needs `databaseUrl`). */
  instances?: number;
  databaseUrl?: string;
  schema?: string;
  /** The bots' clock; default `Date.now`. */
  now?: () => number;
}

export type Scenario = Awaited<ReturnType<typeof startScenario>>;

export async function startScenario(options: ScenarioOptions) {
  const emu = await startEmulator({ port: 0, seed: options.seed ?? twoOrgSeed });
  const world = emu.world;
  const person = (key: string) => {
    const p = world.findPerson(key);
    if (!p) throw new Error(`no person ${key}`);
    return p;
  };
  const room = (key: string) => {
    const r = world.findRoom(key);
    if (!r) throw new Error(`no room ${key}`);
    return r;
  };
  const botPerson = person('bot');
  const dir = mkdtempSync(join(tmpdir(), 'herald-scenario-'));
  const bots: RunningBot[] = [];
  const launches: Array<() => Promise<RunningBot>> = [];
  const count = options.instances ?? 1;
  for (let i = 0; i < count; i++) {
    const port = await freePort();
    const config = parseConfig({
      delivery: { rate_per_second: 200, workers: 4, lease_seconds: 30, max_attempts: 3 },
      ...(typeof options.config === 'function'
        ? options.config({ room: (key) => encodeId('ROOM', room(key).id) })
        : options.config),
    });
    const launch = () =>
      runBotOnEmulator({
        emu,
        token: BOT_TOKEN,
        config,
        transport: options.transport,
        webhookSecret: WEBHOOK_SECRET,
        port,
        sqlitePath: join(dir, 'bot.sqlite'),
        databaseUrl: options.databaseUrl,
        schema: options.schema,
        locale: options.locale,
        instanceId: `scenario-${i}`,
        now: options.now,
      });
    launches.push(launch);
    bots.push(await launch());
  }

  /** Stop instance `i` and start it again on the same store (same instance id, same port). */
  async function restart(i = 0): Promise<RunningBot> {
    await bots[i]!.stop();
    const again = await launches[i]!();
    bots[i] = again;
    return again;
  }

  /** Messages the bot posted in a room. */
  const copiesIn = (roomKey: string): Message[] =>
    [...world.messages.values()].filter(
      (m) => m.roomId === room(roomKey).id && m.personId === botPerson.id && !m.deleted,
    );

  const post = (personKey: string, input: PostMessageInput) => world.postMessage(person(personKey).id, input);

  /** Mention the bot, in markdown. */
  const mentionBot = `<@personId:${encodeId('PEOPLE', botPerson.id)}|Herald>`;

  async function waitFor<T>(
    what: string,
    probe: () => T | undefined | false,
    timeoutMs = 15_000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /**
   * Wait until every broadcast in the store is at rest: done, refused or rejected, or waiting for a
   * person (a preview's Send, an approval) with its card posted; no recall, edit or card pending.
   */
  async function settled(timeoutMs = 20_000): Promise<void> {
    const resting = new Set(['done', 'refused', 'rejected', 'previewed', 'awaiting_approval']);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const store = bots[0]!.store;
      const rows = await store.recentBroadcasts(1000);
      if (rows.length > 0 && rows.every((r) => resting.has(r.status)) && (await store.isIdle())) return;
      if (Date.now() > deadline)
        throw new Error(`broadcasts not settled: ${rows.map((r) => r.status).join(',')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Post as a person, wait until the bot has recorded the message, then until all is at rest. */
  async function postAndSettle(personKey: string, input: PostMessageInput, timeoutMs?: number) {
    const m = post(personKey, input);
    const deadline = Date.now() + (timeoutMs ?? 20_000);
    while (!(await bots[0]!.store.broadcastBySource(encodeId('MESSAGE', m.id)))) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the bot to record the message');
      await new Promise((r) => setTimeout(r, 20));
    }
    await settled(timeoutMs);
    return m;
  }

  /** Messages with a card the bot posted in a room. */
  const cardsIn = (roomKey: string): Message[] => copiesIn(roomKey).filter((m) => m.attachments.length > 0);

  /**
   * Press the button titled `title` on a card message, as a Webex client does: the Action.Submit's
   * `data` becomes the attachment action's inputs.
   */
  const press = (personKey: string, message: Message, title: string) => {
    const content = message.attachments[0]?.content as
      | { actions?: Array<Record<string, unknown>> }
      | undefined;
    const action = content?.actions?.find((a) => a.title === title);
    if (!action) throw new Error(`no button "${title}" on the card`);
    return s.emu.control.submitCard(person(personKey).id, message.id, action.data as Record<string, unknown>);
  };

  const s = {
    emu,
    world,
    bots,
    get bot() {
      return bots[0]!;
    },
    botPerson,
    person,
    room,
    post,
    copiesIn,
    mentionBot,
    waitFor,
    settled,
    postAndSettle,
    restart,
    cardsIn,
    press,
    async stop() {
      for (const b of bots) await b.stop();
      await emu.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return s;
}

/** `body` with a scenario started from `options`, stopped after it whatever happens. */
export async function withScenario(
  options: ScenarioOptions,
  body: (s: Scenario) => Promise<void>,
): Promise<void> {
  const s = await startScenario(options);
  try {
    await body(s);
  } finally {
    await s.stop();
  }
}

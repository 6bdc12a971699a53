#!/usr/bin/env node
/**
 * `herald`: start | demo | webhooks sync | status | doctor.
 * A wrong configuration prints what is wrong (naming the field) and exits with status 2.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_BASE_URL, WebexApiError, WebexClient, WebexMessageHandler } from '@herald/webex';
import { type EnvProxy, proxyFromEnv } from '@herald/webex/proxy';
import { type RunningBot, runBot } from './app.js';
import { ConfigError, checkHost, loadSettings, type Settings } from './config.js';
import { createLogger } from './log.js';
import { Store } from './store/store.js';
import { registerBotWebhooks, webhookTargetUrl } from './webhooks.js';

const USAGE = `herald <command>

  start [--host H] run the bot (Mercury; webhooks when PUBLIC_URL is set); --host: address to bind
  demo             a local Webex (the emulator, demo seed) and the bot against it, with SQLite
  webhooks sync    register the bot's webhooks at PUBLIC_URL (idempotent)
  status           recent broadcasts and their delivery counts
  doctor           check token, bot identity, transports, webhook health and the store

Environment: WEBEX_TEAMS_ACCESS_TOKEN (or WEBEX_TOKEN), CONFIG_FILE, LOCALE, DATABASE_URL,
HERALD_SQLITE, PUBLIC_URL, WEBHOOK_SECRET, PORT, HOST, STATUS_TOKEN, LOG_LEVEL, HERALD_INSTANCE; a proxy:
HTTPS_PROXY, HTTP_PROXY, NO_PROXY; to point the bot at another Webex (an emulator): WEBEX_API_URL,
WEBEX_U2C_URL, HERALD_ALLOWED_ORIGINS.`;

function fail(err: unknown): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`herald: configuration error\n${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof WebexApiError) {
    process.stderr.write(`herald: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`herald: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(1);
      stopping = true;
      stop().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  }
}

/** The proxy from HTTPS_PROXY, HTTP_PROXY and NO_PROXY; a variable that is not a URL is a configuration error. */
async function envProxy(): Promise<EnvProxy | undefined> {
  try {
    return await proxyFromEnv();
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err));
  }
}

async function start(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { host: { type: 'string' } } });
  if (values.host !== undefined) checkHost(values.host, '--host');
  const settings = loadSettings(process.env);
  const logger = createLogger(settings.logLevel);
  const proxy = await envProxy();
  const running = await runBot(settings, { logger, proxy, host: values.host });
  onSignals(() => running.stop());
}

async function demo(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string', default: process.env.PORT ?? '8787' }, quiet: { type: 'boolean' } },
  });
  const { startEmulator } = await import('@herald/emulator');
  const emulator = await startEmulator({ port: Number(values.port), seed: 'demo' });
  const bot = [...emulator.world.people.values()].find((p) => p.type === 'bot');
  if (!bot?.tokens[0]) throw new Error('the demo seed has no bot');
  const dir = join(process.cwd(), '.herald');
  mkdirSync(dir, { recursive: true });
  const sqlitePath = join(dir, 'demo.sqlite');
  for (const suffix of ['', '-wal', '-shm']) rmSync(sqlitePath + suffix, { force: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WEBEX_TOKEN: bot.tokens[0],
    WEBEX_API_URL: `${emulator.url}/v1`,
    HERALD_SQLITE: sqlitePath,
  };
  delete env.PUBLIC_URL;
  delete env.DATABASE_URL;
  delete env.WEBEX_TEAMS_ACCESS_TOKEN;
  const settings: Settings = loadSettings(env);
  const logger = createLogger(values.quiet ? 'warn' : (process.env.LOG_LEVEL ?? 'warn'));
  let running: RunningBot;
  try {
    running = await runBot(settings, {
      logger,
      port: 0,
      u2cUrl: `${emulator.url}/u2c/api/v1`,
      allowedOrigins: [emulator.url, emulator.wsUrl],
      pollMs: 200,
    });
  } catch (err) {
    await emulator.stop();
    throw err;
  }
  const people = [...emulator.world.people.values()].filter((p) => p.type === 'person');
  const orgName = (id: string) => emulator.world.orgs.get(id)?.displayName ?? id;
  const insider = people.find((p) => p.orgId === bot.orgId);
  const outsider = people.find((p) => p.orgId !== bot.orgId);
  process.stdout.write(
    [
      '',
      `Herald demo: a local Webex at ${emulator.url}`,
      `Open the chat page: ${emulator.url}/`,
      `The bot: ${bot.displayName} <${bot.emails[0]}> (receiving over Mercury, store: SQLite ${sqlitePath})`,
      `Bot status: ${running.url}/metrics`,
      '',
      'Three things to try:',
      `  1. Be ${insider?.displayName ?? 'a person'} (${orgName(insider?.orgId ?? '')}): open the 1-1 with ${bot.displayName} and send a message;`,
      '     watch it arrive in the other spaces of your org.',
      '  2. Read the report the bot sends back to you in that 1-1: delivered to N of M spaces.',
      `  3. Be ${outsider?.displayName ?? 'someone from the other org'} (${orgName(outsider?.orgId ?? '')}) and try the same: the policy refuses it.`,
      '',
      'Ctrl-C stops it.',
      '',
    ].join('\n'),
  );
  onSignals(async () => {
    await running.stop();
    await emulator.stop();
  });
}

async function webhooksSync(): Promise<void> {
  const settings = loadSettings(process.env);
  if (!settings.publicUrl || !settings.webhookSecret) {
    throw new ConfigError('PUBLIC_URL and WEBHOOK_SECRET: both are required for `herald webhooks sync`');
  }
  const proxy = await envProxy();
  const client = new WebexClient({
    token: settings.token,
    baseUrl: settings.apiBaseUrl,
    fetch: proxy?.fetch,
  });
  const result = await registerBotWebhooks(client, settings.publicUrl, settings.webhookSecret);
  for (const a of result.actions)
    process.stdout.write(`${a.kind.padEnd(8)} ${a.resource}/${a.event} ${a.name}\n`);
  process.stdout.write(`target ${webhookTargetUrl(settings.publicUrl)}\n`);
}

async function status(): Promise<void> {
  const settings = loadSettings(process.env);
  const store = new Store({ databaseUrl: settings.databaseUrl, sqlitePath: settings.sqlitePath });
  await store.migrate();
  const rows = await store.recentBroadcasts(20);
  process.stdout.write('received                  status     spaces  sent  failed  pending\n');
  for (const r of rows) {
    process.stdout.write(
      `${new Date(r.created_at).toISOString()}  ${r.status.padEnd(9)}  ${String(r.total).padStart(6)}  ${String(r.sent).padStart(4)}  ${String(r.failed).padStart(6)}  ${String(r.pending + r.sending).padStart(7)}\n`,
    );
  }
  if (rows.length === 0) process.stdout.write('(no broadcasts yet)\n');
  await store.close();
}

async function doctor(): Promise<void> {
  let ok = true;
  const line = (good: boolean, what: string) => {
    ok &&= good;
    process.stdout.write(`${good ? 'ok  ' : 'FAIL'} ${what}\n`);
  };
  const settings = loadSettings(process.env);
  line(
    true,
    `configuration${settings.configPath ? ` (${settings.configPath})` : ' (built-in defaults)'}, locale ${settings.locale}`,
  );
  const proxy = await envProxy();
  const base = settings.apiBaseUrl ?? DEFAULT_BASE_URL;
  const via = (url: string) => {
    const p = proxy?.proxyFor(url);
    return p ? `through the proxy ${p}` : 'direct';
  };
  const client = new WebexClient({
    token: settings.token,
    baseUrl: settings.apiBaseUrl,
    retry: { attempts: 2 },
    fetch: proxy?.fetch,
  });
  try {
    const me = await client.people.me();
    line(true, `REST ${base} reachable (${via(base)})`);
    line(true, `token accepted: ${me.displayName} <${me.emails?.[0] ?? '?'}>`);
    line(
      me.type === 'bot' || (me.emails ?? []).some((e) => /@(webex\.bot|sparkbot\.io)$/i.test(e)),
      'the token is a bot token',
    );
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // An answer from Webex (even a refusal) means the path works; no answer means it does not.
    if (err instanceof WebexApiError) {
      line(true, `REST ${base} reachable (${via(base)})`);
      line(false, `token refused: ${message}`);
    } else line(false, `REST ${base} not reachable (${via(base)}): ${message}`);
  }
  if (settings.publicUrl) {
    const target = webhookTargetUrl(settings.publicUrl);
    try {
      const hooks = await client.webhooks.list().toArray();
      const ours = hooks.filter((h) => h.targetUrl === target);
      line(ours.length > 0, `transport webhooks: ${ours.length} webhook(s) at ${target}`);
      for (const h of ours) line(h.status === 'active', `  ${h.resource}/${h.event} ${h.status}`);
    } catch (err) {
      line(false, `cannot list webhooks: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else {
    line(true, 'transport Mercury (no PUBLIC_URL): no public URL needed');
    await checkMercury(settings, proxy, line, via);
  }
  await proxy?.close();
  try {
    const store = new Store({ databaseUrl: settings.databaseUrl, sqlitePath: settings.sqlitePath });
    await store.migrate();
    const depth = await store.queueDepth();
    await store.close();
    line(
      true,
      `store ${settings.databaseUrl ? 'PostgreSQL' : `SQLite ${settings.sqlitePath}`}: migrated, ${depth} deliveries queued`,
    );
  } catch (err) {
    line(false, `store: ${err instanceof Error ? err.message : String(err)}`);
  }
  process.exit(ok ? 0 : 1);
}

/**
 * Mercury's path, apart from REST's: a device of its own (deleted after), the WebSocket upgrade to
 * the Mercury host the device was given (through the proxy, with `CONNECT`, when one applies), the
 * authorization and the KMS handshake. The running bot's device and connection are not touched.
 */
async function checkMercury(
  settings: Settings,
  proxy: EnvProxy | undefined,
  line: (good: boolean, what: string) => void,
  via: (url: string) => string,
): Promise<void> {
  let socketUrl: string | undefined;
  const handler = new WebexMessageHandler({
    token: settings.token,
    baseUrl: settings.apiBaseUrl,
    u2cUrl: settings.u2cUrl,
    allowedOrigins: settings.allowedOrigins,
    deviceName: 'herald-doctor',
    ignoreSelfMessages: false,
    reconcile: false,
    connectAttempts: 1,
    maxReconnectAttempts: 0,
    httpTimeout: 15_000,
    proxy: {
      fetch: proxy?.fetch,
      agent: (url: string) => {
        socketUrl = url;
        return proxy?.agent(url);
      },
    },
  });
  handler.on('error', () => {});
  const host = () => (socketUrl ? new URL(socketUrl).host : '');
  try {
    await handler.connect();
    line(true, `Mercury WebSocket upgrade to ${host()} (${via(socketUrl ?? '')}), authorized, KMS ready`);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (socketUrl) line(false, `Mercury WebSocket to ${host()} (${via(socketUrl)}): ${message}`);
    else line(false, `Mercury device registration: ${message}`);
  } finally {
    await handler.disconnect().catch(() => {});
  }
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'start':
      return start(rest);
    case 'demo':
      return demo(rest);
    case 'webhooks':
      if (rest[0] === 'sync') return webhooksSync();
      break;
    case 'status':
      return status();
    case 'doctor':
      return doctor();
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return;
  }
  process.stderr.write(`herald: unknown command ${JSON.stringify(argv.join(' '))}\n\n${USAGE}\n`);
  process.exit(2);
}

main(process.argv.slice(2)).catch(fail);

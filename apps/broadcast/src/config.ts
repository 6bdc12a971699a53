/**
 * Configuration: the original bot's sections and keys (github.com/JardaMartan/broadcast_bot), read from the
 * JSON file named by CONFIG_FILE (default ./config.json; absent → the built-in defaults, equal to the
 * original `default_config.json`), deep-merged over the defaults and validated. A wrong file is an
 * error that names the field (the original silently fell back to defaults, defect D1/D2).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { HeraldError } from '@herald/webex';
import { z } from 'zod';
import { availableLocales } from './locales.js';

/** A setting is wrong; the message names the field. */
export class ConfigError extends HeraldError {
  constructor(message: string) {
    super('HERALD_CONFIG', message);
  }
}

const email = z.string().trim().toLowerCase().pipe(z.email());

export const configSchema = z
  .object({
    source: z
      .object({
        /** The sender must belong to the bot's organization. */
        bots_own_org: z.boolean(),
        /** The sender must be in `sender_list`. */
        from_sender_list: z.boolean(),
        /** E-mail addresses allowed to broadcast, compared case-insensitively with all of the sender's. */
        sender_list: z.preprocess(
          // The original's default is an empty object; read it as an empty list.
          (v) => (v && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0 ? [] : v),
          z.array(email),
        ),
      })
      .strict(),
    destination: z
      .object({
        /** Only spaces owned by the bot's organization. */
        bots_own_org: z.boolean(),
        /** Only spaces owned by the sender's organization. */
        senders_own_org: z.boolean(),
        /** Also send a copy into the sender's own 1-1 with the bot (the original did, D8). */
        include_sender_direct: z.boolean(),
      })
      .strict(),
    membership: z
      .object({
        /** Stay only in spaces owned by the bot's organization. */
        bots_own_org: z.boolean(),
      })
      .strict(),
    /** Template locale; the LOCALE environment variable wins over it. */
    locale: z.string().optional(),
    delivery: z
      .object({
        /** Sends per second across all workers of this instance (Webex answers 429 above its own limit). */
        rate_per_second: z.number().positive().max(10_000),
        /** Concurrent sends. */
        workers: z.number().int().min(1).max(64),
        /** How long a claimed delivery stays leased to this instance, in seconds. */
        lease_seconds: z.number().int().min(5).max(3600),
        /** Attempts for a delivery before it is reported as failed. */
        max_attempts: z.number().int().min(1).max(50),
        /**
         * How long planning waits for the first file while Webex answers 423 (still being scanned),
         * in seconds, summed over the waits; then the copies go out without it. Default 60.
         */
        file_wait_seconds: z.number().min(0).max(600).optional(),
      })
      .strict(),
    /**
     * E-mail addresses that may recall anyone's broadcast (a sender may always recall their own),
     * compared case-insensitively with all of the person's addresses.
     */
    admins: z.array(email),
    approval: z
      .object({
        /** Broadcasts from senders not in `trusted_senders` wait for an approver. Default false. */
        enabled: z.boolean(),
        /**
         * The approvers' space (REST room id; the bot must be a member). Any member of it other than
         * the sender may approve or reject; it never receives copies.
         */
        room_id: z.string().trim(),
        /** Senders whose broadcasts go out at once. */
        trusted_senders: z.array(email),
      })
      .strict(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.approval.enabled && c.approval.room_id === '') {
      ctx.addIssue({
        code: 'custom',
        path: ['approval', 'room_id'],
        message: 'required when approval.enabled is true (the approvers space id)',
      });
    }
  });

export type BroadcastConfig = z.infer<typeof configSchema>;

/** The built-in defaults: the original's `default_config.json`, plus our delivery settings. */
export const DEFAULT_CONFIG: BroadcastConfig = {
  source: { bots_own_org: true, from_sender_list: false, sender_list: [] },
  destination: { bots_own_org: false, senders_own_org: true, include_sender_direct: false },
  membership: { bots_own_org: false },
  delivery: { rate_per_second: 10, workers: 4, lease_seconds: 30, max_attempts: 5 },
  admins: [],
  approval: { enabled: false, room_id: '', trusted_senders: [] },
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Merge `over` into `base` key by key (objects recursively, everything else replaced). */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

/** Validate a user config object merged over the defaults. `where` names the source in errors. */
export function parseConfig(user: unknown, where = 'config'): BroadcastConfig {
  if (!isPlainObject(user)) throw new ConfigError(`${where}: expected a JSON object at the top level`);
  const result = configSchema.safeParse(deepMerge(DEFAULT_CONFIG, user));
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const field = issue.path.join('.') || '(top level)';
      if (issue.code === 'unrecognized_keys') {
        const prefix = issue.path.length ? `${issue.path.join('.')}.` : '';
        return `${where}: unknown key ${issue.keys.map((k) => prefix + k).join(', ')}`;
      }
      return `${where}: ${field}: ${issue.message}`;
    });
    throw new ConfigError(lines.join('\n'));
  }
  const config = result.data;
  if (config.locale !== undefined) checkLocale(config.locale, `${where}: locale`);
  return config;
}

function checkLocale(locale: string, field: string): void {
  const known = availableLocales();
  if (!known.includes(locale)) {
    throw new ConfigError(
      `${field}: unknown locale ${JSON.stringify(locale)}; installed: ${known.join(', ')}`,
    );
  }
}

/** Read and validate the file; a missing file at the default path means the defaults. */
export function loadConfigFile(path: string | undefined): { config: BroadcastConfig; path?: string } {
  const file = resolve(path ?? './config.json');
  if (!existsSync(file)) {
    if (path !== undefined) throw new ConfigError(`CONFIG_FILE: ${path} does not exist`);
    return { config: parseConfig({}) };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  return { config: parseConfig(raw, file), path: file };
}

/**
 * The config file's JSON given in the environment (`HERALD_CONFIG_JSON`), for hosts without a file
 * share (functions). Naming a file as well is an error: which one wins would be a guess.
 */
export function loadConfigJson(
  text: string,
  configFile?: string,
): { config: BroadcastConfig; path?: string } {
  if (configFile !== undefined)
    throw new ConfigError('HERALD_CONFIG_JSON and CONFIG_FILE are both set: keep one of them');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`HERALD_CONFIG_JSON: not valid JSON (${(err as Error).message})`);
  }
  return { config: parseConfig(raw, 'HERALD_CONFIG_JSON') };
}

/** Everything the bot takes from the environment, validated. */
export interface Settings {
  token: string;
  config: BroadcastConfig;
  configPath?: string | undefined;
  locale: string;
  /** PostgreSQL URL; when absent the bot uses SQLite at `sqlitePath`. */
  databaseUrl?: string | undefined;
  sqlitePath: string;
  /** Public base URL; when set the bot receives over webhooks instead of Mercury. */
  publicUrl?: string | undefined;
  webhookSecret?: string | undefined;
  port: number;
  /**
   * Address the HTTP server binds (`HOST`). Default: 0.0.0.0 with webhooks, since Webex (or the
   * reverse proxy in front) must reach the endpoint, also through a container's port mapping;
   * 127.0.0.1 over Mercury, where the server only answers health and metrics.
   */
  host?: string | undefined;
  /** Bearer token required by the status page; without it the status page is off. */
  statusToken?: string | undefined;
  logLevel: string;
  /** REST base URL (the emulator's in demo mode). */
  apiBaseUrl?: string | undefined;
  /** Mercury discovery (U2C) base URL, to point the bot at an emulator. */
  u2cUrl?: string | undefined;
  /** Extra origins server-sent Mercury/KMS URLs may have (an emulator's); Webex domains always. */
  allowedOrigins?: string[] | undefined;
  /** Names this instance in leases and its Mercury device; default the host name. */
  instanceId?: string | undefined;
}

/** A bind address: an IP address or a host name, nothing else (no scheme, port or path). */
export function checkHost(host: string, field: string): void {
  if (isIP(host) === 0 && !/^[a-z0-9]([a-z0-9-]{0,62}\.?)*$/i.test(host))
    throw new ConfigError(
      `${field}: not an address to bind (an IP address or a host name): ${JSON.stringify(host)}`,
    );
}

export function loadSettings(env: NodeJS.ProcessEnv): Settings {
  const token = env.WEBEX_TEAMS_ACCESS_TOKEN ?? env.WEBEX_TOKEN;
  if (!token) throw new ConfigError('WEBEX_TEAMS_ACCESS_TOKEN (or WEBEX_TOKEN): the bot token is required');
  const { config, path } = env.HERALD_CONFIG_JSON
    ? loadConfigJson(env.HERALD_CONFIG_JSON, env.CONFIG_FILE)
    : loadConfigFile(env.CONFIG_FILE);
  const locale = env.LOCALE ?? config.locale ?? 'en_US';
  checkLocale(locale, env.LOCALE ? 'LOCALE' : 'locale');
  const port = env.PORT === undefined ? 8080 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(`PORT: not a port number: ${env.PORT}`);
  const host = env.HOST || undefined;
  if (host !== undefined) checkHost(host, 'HOST');
  const publicUrl = env.PUBLIC_URL;
  if (publicUrl !== undefined) {
    let u: URL;
    try {
      u = new URL(publicUrl);
    } catch {
      throw new ConfigError('PUBLIC_URL: not a URL');
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
      throw new ConfigError('PUBLIC_URL: must be http(s)');
    if (!env.WEBHOOK_SECRET || env.WEBHOOK_SECRET.length < 16) {
      throw new ConfigError('WEBHOOK_SECRET: required with PUBLIC_URL, at least 16 characters');
    }
  }
  return {
    token,
    config,
    configPath: path,
    locale,
    databaseUrl: env.DATABASE_URL || undefined,
    sqlitePath: env.HERALD_SQLITE ?? './herald.sqlite',
    publicUrl,
    webhookSecret: env.WEBHOOK_SECRET,
    port,
    host,
    statusToken: env.STATUS_TOKEN || undefined,
    logLevel: env.LOG_LEVEL ?? 'info',
    apiBaseUrl: env.WEBEX_API_URL || undefined,
    u2cUrl: env.WEBEX_U2C_URL || undefined,
    allowedOrigins: env.HERALD_ALLOWED_ORIGINS
      ? env.HERALD_ALLOWED_ORIGINS.split(',').map((s) => s.trim())
      : undefined,
    instanceId: env.HERALD_INSTANCE || undefined,
  };
}

/**
 * Idempotent registration of the bot's webhooks: make the set Webex holds equal to the wanted set,
 * touching only webhooks this tool created (recognised by name prefix). Running it twice changes
 * nothing the second time.
 *
 * Wire rules it follows (docs/protocol.md §7.7): `GET /webhooks` lists the caller's webhooks
 * and returns `secret`; `PUT` can change only `name`, `targetUrl`, `secret` and `status` (and only
 * to `active`), so a different resource/event/filter means delete and create; the firehose
 * `all`/`all` does not cover `attachmentActions`, hence a second webhook for it by default.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Webhook } from '../rest/types.js';

export interface WebhookSubscription {
  resource: string;
  event: string;
  /** `key=value` pairs joined with `&` (§7.7). */
  filter?: string | undefined;
}

export interface CreateWebhookBody extends WebhookSubscription {
  name: string;
  targetUrl: string;
  secret?: string | undefined;
}

export interface UpdateWebhookBody {
  name: string;
  targetUrl: string;
  secret?: string | undefined;
  status?: 'active' | undefined;
}

/** What syncing needs from a REST client. `WebexClient` fits. */
export interface WebhookRegistrationClient {
  webhooks: {
    list(): AsyncIterable<Webhook> | Promise<readonly Webhook[] | AsyncIterable<Webhook>>;
    create(body: CreateWebhookBody): Promise<Webhook>;
    update(webhookId: string, body: UpdateWebhookBody): Promise<Webhook>;
    delete(webhookId: string): Promise<unknown>;
  };
}

export interface SyncWebhooksOptions {
  client: WebhookRegistrationClient;
  /** Where Webex should deliver (http or https; Webex asks for a public HTTPS URL, §7.7). */
  targetUrl: string;
  /** Secret every webhook is signed with (§8.4). Changing it here rotates it on the next sync. */
  secret: string;
  /**
   * The wanted webhooks. Default: the firehose `all`/`all` plus `attachmentActions`/`created`,
   * which the firehose does not cover (§7.7).
   */
  resources?: readonly WebhookSubscription[] | undefined;
  /** Webhooks whose name is this prefix, or starts with it and `:`, are ours. Default `'herald'`. */
  namePrefix?: string | undefined;
  /** Also delete the caller's webhooks this tool did not create. Default false: they are left alone. */
  deleteForeign?: boolean | undefined;
  /** Work out the plan without changing anything. Default false. */
  dryRun?: boolean | undefined;
}

export type SyncActionKind = 'keep' | 'update' | 'create' | 'recreate' | 'delete' | 'leave';

export interface SyncWebhookAction {
  /**
   * keep: already right. update: PUT (see `changes`). create: missing. recreate: ours with the same
   * resource/event but another filter, which PUT cannot change (created anew, the old one deleted).
   * delete: ours and no longer wanted, or foreign with `deleteForeign`. leave: foreign, untouched.
   */
  kind: SyncActionKind;
  name: string;
  resource: string;
  event: string;
  filter?: string | undefined;
  /** The webhook acted upon (for create: the new one, unless dry run). */
  webhookId?: string | undefined;
  /** For update/recreate: what differed. Names of fields only; never a secret. */
  changes?: Array<'targetUrl' | 'secret' | 'status' | 'name' | 'filter'> | undefined;
}

export interface SyncWebhooksResult {
  dryRun: boolean;
  actions: SyncWebhookAction[];
  /** Counts by kind. */
  summary: Record<SyncActionKind, number>;
  /** Our webhooks after the sync, one per wanted subscription (as planned when `dryRun`). */
  webhooks: Webhook[];
}

/** The default wanted set (§7.7: attachmentActions is outside the firehose). */
export const DEFAULT_WEBHOOK_SUBSCRIPTIONS: readonly WebhookSubscription[] = [
  { resource: 'all', event: 'all' },
  { resource: 'attachmentActions', event: 'created' },
];

export async function syncWebhooks(options: SyncWebhooksOptions): Promise<SyncWebhooksResult> {
  const { client, targetUrl, secret } = options;
  const prefix = options.namePrefix ?? 'herald';
  const dryRun = options.dryRun ?? false;
  validateOptions(options, prefix);
  const wanted = uniqueSubscriptions(options.resources ?? DEFAULT_WEBHOOK_SUBSCRIPTIONS);

  const existing = await collect(client.webhooks.list());
  const isOurs = (w: Webhook) => w.name === prefix || w.name.startsWith(`${prefix}:`);
  const leftovers = existing.filter(isOurs);
  const foreign = existing.filter((w) => !isOurs(w));

  const actions: SyncWebhookAction[] = [];
  const result: Webhook[] = [];
  const toCreate: Array<{ sub: WebhookSubscription; name: string }> = [];

  for (const sub of wanted) {
    const name = webhookName(prefix, sub);
    const candidates = leftovers.filter((w) => sameSubscription(w, sub));
    // Prefer one that needs no change, then one already pointing at the target.
    candidates.sort(
      (a, b) => changesFor(a, name, targetUrl, secret).length - changesFor(b, name, targetUrl, secret).length,
    );
    const match = candidates[0];
    if (!match) {
      toCreate.push({ sub, name });
      continue;
    }
    leftovers.splice(leftovers.indexOf(match), 1);
    const changes = changesFor(match, name, targetUrl, secret);
    const base = { name, ...describe(sub), webhookId: match.id };
    if (changes.length === 0) {
      actions.push({ kind: 'keep', ...base });
      result.push(match);
      continue;
    }
    actions.push({ kind: 'update', ...base, changes });
    result.push(
      dryRun
        ? { ...match, name, targetUrl, secret, status: 'active' }
        : await client.webhooks.update(match.id, { name, targetUrl, secret, status: 'active' }),
    );
  }

  // Create first, delete after: there is no gap in delivery (a duplicate meanwhile is deduped).
  const replaced = new Set<Webhook>();
  for (const { sub, name } of toCreate) {
    const old = leftovers.find(
      (w) => !replaced.has(w) && w.resource === sub.resource && w.event === sub.event,
    );
    const body: CreateWebhookBody = { name, targetUrl, secret, ...describe(sub) };
    const created = dryRun ? plannedWebhook(body) : await client.webhooks.create(body);
    result.push(created);
    if (old) {
      replaced.add(old);
      actions.push({
        kind: 'recreate',
        name,
        ...describe(sub),
        webhookId: dryRun ? old.id : created.id,
        changes: ['filter'],
      });
      if (!dryRun) await client.webhooks.delete(old.id);
    } else {
      actions.push({ kind: 'create', name, ...describe(sub), webhookId: dryRun ? undefined : created.id });
    }
  }
  for (const w of leftovers) {
    if (replaced.has(w)) continue;
    actions.push({ kind: 'delete', name: w.name, ...describe(w), webhookId: w.id });
    if (!dryRun) await client.webhooks.delete(w.id);
  }
  for (const w of foreign) {
    const kind = options.deleteForeign === true ? 'delete' : 'leave';
    actions.push({ kind, name: w.name, ...describe(w), webhookId: w.id });
    if (kind === 'delete' && !dryRun) await client.webhooks.delete(w.id);
  }

  const summary: Record<SyncActionKind, number> = {
    keep: 0,
    update: 0,
    create: 0,
    recreate: 0,
    delete: 0,
    leave: 0,
  };
  for (const a of actions) summary[a.kind]++;
  return { dryRun, actions, summary, webhooks: result };
}

/** Our name for a subscription: `<prefix>:<resource>:<event>[:<filter>]`. */
export function webhookName(prefix: string, sub: WebhookSubscription): string {
  const filter = normalizeFilter(sub.filter);
  return `${prefix}:${sub.resource}:${sub.event}${filter ? `:${filter}` : ''}`;
}

/** Filter with its `key=value` pairs sorted, so that order does not make two filters differ. */
export function normalizeFilter(filter: string | undefined): string | undefined {
  if (filter === undefined || filter.trim() === '') return undefined;
  return filter
    .split('&')
    .map((p) => p.trim())
    .filter((p) => p.length > 0)
    .sort()
    .join('&');
}

function sameSubscription(w: Webhook, sub: WebhookSubscription): boolean {
  return (
    w.resource === sub.resource &&
    w.event === sub.event &&
    normalizeFilter(w.filter) === normalizeFilter(sub.filter)
  );
}

function changesFor(
  w: Webhook,
  name: string,
  targetUrl: string,
  secret: string,
): NonNullable<SyncWebhookAction['changes']> {
  const changes: NonNullable<SyncWebhookAction['changes']> = [];
  if (w.targetUrl !== targetUrl) changes.push('targetUrl');
  // Webex returns the secret (§7.7); when it does not, the only safe assumption is that it differs.
  if (w.secret !== secret) changes.push('secret');
  if (w.status !== 'active') changes.push('status');
  if (w.name !== name) changes.push('name');
  return changes;
}

function describe(sub: WebhookSubscription): WebhookSubscription {
  const filter = normalizeFilter(sub.filter);
  return filter === undefined
    ? { resource: sub.resource, event: sub.event }
    : { resource: sub.resource, event: sub.event, filter };
}

function uniqueSubscriptions(subs: readonly WebhookSubscription[]): WebhookSubscription[] {
  const seen = new Set<string>();
  const out: WebhookSubscription[] = [];
  for (const sub of subs) {
    const key = webhookName('', sub);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(describe(sub));
  }
  return out;
}

function plannedWebhook(body: CreateWebhookBody): Webhook {
  return { id: '', ...body, status: 'active', created: '' };
}

async function collect(list: ReturnType<WebhookRegistrationClient['webhooks']['list']>): Promise<Webhook[]> {
  const resolved = await list;
  if (Array.isArray(resolved)) return [...(resolved as readonly Webhook[])];
  const out: Webhook[] = [];
  for await (const w of resolved as AsyncIterable<Webhook>) out.push(w);
  return out;
}

function validateOptions(options: SyncWebhooksOptions, prefix: string): void {
  if (!options.client?.webhooks) throw new InvalidArgumentError('syncWebhooks: client is required');
  let url: URL | undefined;
  try {
    url = new URL(options.targetUrl);
  } catch {}
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new InvalidArgumentError('syncWebhooks: targetUrl must be an absolute http(s) URL');
  }
  if (typeof options.secret !== 'string' || options.secret.length === 0) {
    throw new InvalidArgumentError('syncWebhooks: secret must be a non-empty string');
  }
  if (prefix.length === 0 || prefix.includes(':')) {
    throw new InvalidArgumentError('syncWebhooks: namePrefix must be non-empty and contain no ":"');
  }
  for (const [i, sub] of (options.resources ?? []).entries()) {
    if (
      !sub ||
      typeof sub.resource !== 'string' ||
      !sub.resource ||
      typeof sub.event !== 'string' ||
      !sub.event
    ) {
      throw new InvalidArgumentError(`syncWebhooks: resources[${i}] needs a resource and an event`);
    }
  }
}

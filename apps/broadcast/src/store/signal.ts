/**
 * Telling the workers that there is new work, at once: in this process by a direct call, across
 * instances on PostgreSQL by `NOTIFY` on one channel per schema, which every instance `LISTEN`s to
 * on a connection of its own (https://www.postgresql.org/docs/current/sql-notify.html). A
 * notification can be missed (the listening connection dropped): the slow poll stays as the
 * fallback, so a missed one only delays work.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { sql } from 'kysely';
import type PG from 'pg';
import type { StoreContext } from './context.js';

/** How long the listener waits before connecting again after its connection dropped, ms. */
const RELISTEN_MS = 5000;

export class WorkSignal {
  private readonly listeners = new Set<() => void>();
  private client: PG.Client | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;
  readonly channel: string;
  /** Sent with each NOTIFY: this store's own announcements already woke it, so it skips them. */
  private readonly origin = randomUUID();

  constructor(
    private readonly ctx: StoreContext,
    private readonly databaseUrl: string | undefined,
    schema: string | undefined,
  ) {
    // PostgreSQL cuts identifiers at 63 bytes (LISTEN would) but not pg_notify's text: a long
    // schema name is hashed so that both name the same channel.
    const named = schema ? `herald_work_${schema}` : 'herald_work';
    this.channel =
      named.length <= 63
        ? named
        : `herald_work_${createHash('sha256').update(named).digest('hex').slice(0, 32)}`;
  }

  /** Call `listener` whenever work is announced, here or (PostgreSQL) by another instance. */
  async subscribe(listener: () => void): Promise<void> {
    this.listeners.add(listener);
    if (this.databaseUrl && !this.client && !this.closed) await this.listen();
  }

  /** New work: wake this process's workers, and the other instances'. */
  async announce(): Promise<void> {
    for (const l of this.listeners) l();
    if (this.ctx.dialect === 'postgres')
      await sql`select pg_notify(${this.channel}, ${this.origin})`.execute(this.ctx.db);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async listen(): Promise<void> {
    // Loaded only for PostgreSQL, as in connection.ts: a bot on SQLite does not carry pg in memory.
    const pg = createRequire(import.meta.url)('pg') as typeof PG;
    const client = new pg.Client({ connectionString: this.databaseUrl });
    this.client = client;
    const again = () => {
      if (this.client !== client || this.closed) return;
      this.client = undefined;
      client.end().catch(() => {});
      this.retry = setTimeout(() => void this.listen().catch(() => {}), RELISTEN_MS);
      this.retry.unref();
    };
    client.on('error', again);
    client.on('end', again);
    client.on('notification', (n: PG.Notification) => {
      if (n.payload === this.origin) return;
      for (const l of this.listeners) l();
    });
    try {
      await client.connect();
      await client.query(`listen ${client.escapeIdentifier(this.channel)}`);
    } catch {
      again();
    }
  }
}

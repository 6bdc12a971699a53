/**
 * The bot's send budget, shared by every instance on one PostgreSQL: a token bucket in a row (one
 * per bot), refilled at `rate` per second up to `capacity`, read and taken from in one statement
 * under the row's lock. Webex limits a token, not a process, so three instances together must
 * stay within the one rate. Times come from the database's clock, so hosts need not agree.
 */
import { sql } from 'kysely';
import type { StoreContext } from './context.js';

export interface Grant {
  /** Tokens granted now (0 to `want`). */
  granted: number;
  /** With none granted: how long until one may be, ms. */
  waitMs: number;
}

/** Create the bucket, or take this instance's rate and capacity for it (the last started wins). */
export async function ensureBudget(
  ctx: StoreContext,
  key: string,
  rate: number,
  capacity: number,
): Promise<void> {
  await sql`insert into rate_budget (key, rate, capacity, tokens, refilled_at, paused_until)
    values (${key}, ${rate}, ${capacity}, ${capacity}, ${nowMs(ctx)}, 0)
    on conflict (key) do update set rate = excluded.rate, capacity = excluded.capacity`.execute(ctx.db);
}

/** Take up to `want` tokens; none while Webex asked everyone to wait (`pauseBudget`). */
export async function takeBudget(ctx: StoreContext, key: string, want: number): Promise<Grant> {
  const r = await sql<{ granted: number; avail: number; rate: number; paused_until: number; t: number }>`
    with cur as (
      select b.key, b.rate, b.paused_until, n.t,
        least(b.capacity, b.tokens + greatest(0, n.t - b.refilled_at) * b.rate / 1000.0) as avail
      from rate_budget b, (select ${nowMs(ctx)} as t) n
      where b.key = ${key}
      for update of b
    )
    update rate_budget b set
      tokens = case when cur.t < cur.paused_until then 0 else cur.avail - least(${want}, floor(cur.avail)) end,
      refilled_at = greatest(cur.t, cur.paused_until)
    from cur where b.key = cur.key
    returning case when cur.t < cur.paused_until then 0 else least(${want}, floor(cur.avail)) end as granted,
      cur.avail, cur.rate, cur.paused_until, cur.t`.execute(ctx.db);
  const row = r.rows[0];
  if (!row) return { granted: 0, waitMs: 1000 };
  const granted = Number(row.granted);
  if (granted > 0) return { granted, waitMs: 0 };
  const t = Number(row.t);
  const paused = Number(row.paused_until);
  if (t < paused) return { granted: 0, waitMs: paused - t };
  return { granted: 0, waitMs: Math.max(1, Math.ceil(((1 - Number(row.avail)) / Number(row.rate)) * 1000)) };
}

/** Webex answered 429: no instance gets a token for `ms`. */
export async function pauseBudget(ctx: StoreContext, key: string, ms: number): Promise<void> {
  await sql`update rate_budget set tokens = 0,
      paused_until = greatest(paused_until, ${nowMs(ctx)} + ${Math.ceil(ms)})
    where key = ${key}`.execute(ctx.db);
}

/** The database's clock in ms (PostgreSQL), so that instances on several hosts agree. */
function nowMs(ctx: StoreContext) {
  return ctx.dialect === 'postgres'
    ? sql<number>`(extract(epoch from clock_timestamp()) * 1000)::bigint`
    : sql<number>`${Date.now()}`;
}

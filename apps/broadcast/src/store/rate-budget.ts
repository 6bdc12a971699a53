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

/**
 * Take `want` tokens (the bucket's capacity if that is less) or none; none at all while
 * Webex asked everyone to wait (`pauseBudget`). A bucket holding part of `want` grants nothing and
 * says when the whole of it will be there: an instance sending at the full rate would otherwise
 * take the one or two tokens refilled since its last grant, one statement per send.
 */
export async function takeBudget(ctx: StoreContext, key: string, want: number): Promise<Grant> {
  const r = await sql<{
    granted: number;
    need: number;
    avail: number;
    rate: number;
    paused_until: number;
    t: number;
  }>`
    with cur as (
      select b.key, b.rate, b.paused_until, n.t, least(${want}, b.capacity) as need,
        least(b.capacity, b.tokens + greatest(0, n.t - b.refilled_at) * b.rate / 1000.0) as avail
      from rate_budget b, (select ${nowMs(ctx)} as t) n
      where b.key = ${key}
      for update of b
    )
    , g as (
      select cur.*, case when cur.t < cur.paused_until or floor(cur.avail) < cur.need then 0
        else cur.need end as granted
      from cur
    )
    update rate_budget b set
      tokens = case when g.t < g.paused_until then 0 else g.avail - g.granted end,
      refilled_at = greatest(g.t, g.paused_until)
    from g where b.key = g.key
    returning g.granted, g.need, g.avail, g.rate, g.paused_until, g.t`.execute(ctx.db);
  const row = r.rows[0];
  if (!row) return { granted: 0, waitMs: 1000 };
  const granted = Number(row.granted);
  if (granted > 0) return { granted, waitMs: 0 };
  const t = Number(row.t);
  const paused = Number(row.paused_until);
  if (t < paused) return { granted: 0, waitMs: paused - t };
  const missing = Number(row.need) - Number(row.avail);
  return { granted: 0, waitMs: Math.max(1, Math.ceil((missing / Number(row.rate)) * 1000)) };
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

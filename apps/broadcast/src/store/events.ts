/**
 * What the bot remembers of the events it saw: event keys (each event is handled once across
 * instances), notices said once per room, and each person's 1-1 space with the bot.
 */
import type { StoreContext } from './context.js';

/** Record an event key; true the first time it is seen (across instances). */
export async function markSeen(ctx: StoreContext, key: string, now: number): Promise<boolean> {
  const r = await ctx.db
    .insertInto('seen_events')
    .values({ key, created_at: now })
    .onConflict((oc) => oc.column('key').doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** True the first time a notice of `kind` is recorded for the room. */
export async function noticeOnce(
  ctx: StoreContext,
  roomId: string,
  kind: string,
  now: number,
): Promise<boolean> {
  const r = await ctx.db
    .insertInto('notices')
    .values({ room_id: roomId, kind, created_at: now })
    .onConflict((oc) => oc.columns(['room_id', 'kind']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
}

export async function rememberDirectRoom(ctx: StoreContext, personId: string, roomId: string): Promise<void> {
  await ctx.db
    .insertInto('direct_rooms')
    .values({ person_id: personId, room_id: roomId })
    .onConflict((oc) => oc.column('person_id').doUpdateSet({ room_id: roomId }))
    .execute();
}

export async function directRoomOf(ctx: StoreContext, personId: string): Promise<string | undefined> {
  const r = await ctx.db
    .selectFrom('direct_rooms')
    .select('room_id')
    .where('person_id', '=', personId)
    .executeTakeFirst();
  return r?.room_id;
}

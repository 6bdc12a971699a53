/** Test helpers: stores on SQLite (a temp file) and, when DATABASE_URL is set, on PostgreSQL. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { botEnv } from '../../../harness/bot-instances.js';
import type { PlannedDelivery, PlanStatus } from '../src/store/rows.js';
import { Store } from '../src/store/store.js';

export interface StoreFactory {
  name: 'sqlite' | 'postgres';
  /** Skip reason when this backend is not available. */
  skip: string | false;
  /** A fresh, migrated store; several calls with the same `shared` name share one database. */
  open(shared?: string): Promise<Store>;
  cleanup(): Promise<void>;
}

const dirs: string[] = [];

export function sqliteFactory(): StoreFactory {
  const dir = mkdtempSync(join(tmpdir(), 'herald-test-'));
  dirs.push(dir);
  let n = 0;
  return {
    name: 'sqlite',
    skip: false,
    async open(shared) {
      const store = new Store({ sqlitePath: join(dir, `${shared ?? `db${n++}`}.sqlite`) });
      await store.migrate();
      return store;
    },
    async cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postgresFactory(): StoreFactory {
  const url = process.env.DATABASE_URL;
  const schemas: string[] = [];
  const prefix = `t_${process.pid}_${Date.now().toString(36)}`;
  let n = 0;
  return {
    name: 'postgres',
    skip: url ? false : 'DATABASE_URL is not set: PostgreSQL tests skipped (CI sets it)',
    async open(shared) {
      const schema = `${prefix}_${shared ?? `s${n++}`}`;
      if (!schemas.includes(schema)) schemas.push(schema);
      const store = new Store({ databaseUrl: url, schema });
      await store.migrate();
      return store;
    },
    async cleanup() {
      if (!url || schemas.length === 0) return;
      const admin = new Store({ databaseUrl: url });
      const { sql } = await import('kysely');
      for (const s of schemas) await sql`drop schema if exists ${sql.id(s)} cascade`.execute(admin.db);
      await admin.close();
    },
  };
}

export function storeFactories(): StoreFactory[] {
  return [sqliteFactory(), postgresFactory()];
}

/** `n` group spaces as plan rows, `R0` to `R<n-1>`. */
export function groupRooms(n: number): PlannedDelivery[] {
  return Array.from({ length: n }, (_, i) => ({ roomId: `R${i}`, roomType: 'group' as const }));
}

/**
 * What a planner leaves, for the tests of what comes after: broadcast `id` (default `b`, from `P`
 * in `R`) received and claimed by `me` at 0, then planned into `rooms` at `at` (default 0). Answers
 * `savePlan`'s answer.
 */
export async function plannedBroadcast(
  store: Store,
  rooms: PlannedDelivery[],
  o: { id?: string; content?: unknown; at?: number; status?: PlanStatus } = {},
): Promise<boolean> {
  const id = o.id ?? 'b';
  await store.createBroadcast(
    { id, sourceMessageId: `M-${id}`, sourceRoomId: 'R', senderId: 'P', request: {} },
    0,
  );
  await store.claimBroadcasts('received', 'me', 0, 1000, 1);
  return store.savePlan(id, 'me', o.content ?? {}, undefined, rooms, o.at ?? 0, o.status);
}

/**
 * The environment of a `herald` child on SQLite (`<dir>/bot.sqlite`) that a test will kill: one
 * worker at `ratePerSecond`, so a kill can repeat only its send in flight and the copy whose row
 * was being written.
 */
export function killableBotEnv(
  emu: { url: string; wsUrl: string },
  token: string,
  dir: string,
  instance: string,
  ratePerSecond: number,
): NodeJS.ProcessEnv {
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      delivery: { rate_per_second: ratePerSecond, workers: 1, lease_seconds: 30, max_attempts: 5 },
    }),
  );
  return botEnv(emu, token, {
    HERALD_SQLITE: join(dir, 'bot.sqlite'),
    HERALD_INSTANCE: instance,
    CONFIG_FILE: config,
    LOG_LEVEL: 'info',
  });
}

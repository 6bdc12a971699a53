/** Schema migrations, run at start. Each runs once, in order, recorded by kysely's Migrator. */
import { type CreateTableBuilder, type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/**
 * The columns by which a queue row (a delivery, a copy task) is claimed and leased, as migrations
 * 001 and 002 created them, in this order, in both tables.
 */
function queueLeaseColumns<C extends string>(table: CreateTableBuilder<string, C>) {
  return table
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('not_before', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint');
}

/**
 * A queue table's first indexes, as migrations 001 and 002 created them: `<table>_claim` on
 * `status, not_before` (replaced in 004) and `<table>_broadcast` on `broadcast_id`.
 */
async function createQueueIndexes(db: Kysely<unknown>, table: 'deliveries' | 'copy_tasks'): Promise<void> {
  await db.schema.createIndex(`${table}_claim`).on(table).columns(['status', 'not_before']).execute();
  await db.schema.createIndex(`${table}_broadcast`).on(table).column('broadcast_id').execute();
}

function migrations(dialect: Dialect): Record<string, Migration> {
  const blob = dialect === 'postgres' ? sql`bytea` : sql`blob`;
  const autoId = dialect === 'postgres' ? sql`bigserial primary key` : sql`integer primary key autoincrement`;
  return {
    '001_initial': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('seen_events')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('broadcasts')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('source_message_id', 'text', (c) => c.notNull().unique())
          .addColumn('source_room_id', 'text', (c) => c.notNull())
          .addColumn('sender_id', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('request', 'text', (c) => c.notNull())
          .addColumn('content', 'text')
          .addColumn('total', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('note', 'text')
          .addColumn('report_message_id', 'text')
          .addColumn('lease_owner', 'text')
          .addColumn('lease_until', 'bigint')
          .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('broadcasts_status').on('broadcasts').column('status').execute();
        await db.schema
          .createTable('files')
          .addColumn('broadcast_id', 'text', (c) => c.primaryKey())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('content_type', 'text', (c) => c.notNull())
          .addColumn('bytes', blob, (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('deliveries')
          .addColumn('id', autoId)
          .addColumn('broadcast_id', 'text', (c) => c.notNull())
          .addColumn('room_id', 'text', (c) => c.notNull())
          .addColumn('room_type', 'text', (c) => c.notNull())
          .addColumn('room_title', 'text')
          .addColumn('status', 'text', (c) => c.notNull())
          .$call(queueLeaseColumns)
          .addColumn('message_id', 'text')
          .addColumn('error', 'text')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addUniqueConstraint('deliveries_broadcast_room', ['broadcast_id', 'room_id'])
          .execute();
        await createQueueIndexes(db, 'deliveries');
        await db.schema
          .createTable('notices')
          .addColumn('room_id', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('notices_pk', ['room_id', 'kind'])
          .execute();
        await db.schema
          .createTable('direct_rooms')
          .addColumn('person_id', 'text', (c) => c.primaryKey())
          .addColumn('room_id', 'text', (c) => c.notNull())
          .execute();
      },
    },
    // Preview, approval, recall, edit propagation and the report card (the bot's second release).
    '002_recall_edit_approval': {
      async up(db: Kysely<unknown>) {
        // [column, type, default]; a column without a default is nullable.
        const addToBroadcasts: Array<[string, 'text' | 'integer', string | number | null]> = [
          ['kind', 'text', 'broadcast'],
          ['content_version', 'integer', 1],
          ['report_wanted', 'integer', 0],
          ['report_done', 'integer', 0],
          ['report_milestone', 'integer', 0],
          ['control_message_id', 'text', null],
          ['decided_by', 'text', null],
          ['recall_state', 'text', null],
          ['recall_by', 'text', null],
          ['edit_state', 'text', null],
        ];
        for (const [name, type, dflt] of addToBroadcasts) {
          await db.schema
            .alterTable('broadcasts')
            .addColumn(name, type, (c) => (dflt === null ? c : c.notNull().defaultTo(dflt)))
            .execute();
        }
        for (const [name, dflt] of [
          ['content_version', 0],
          ['edit_count', 0],
          ['editable', 1],
        ] as const) {
          await db.schema
            .alterTable('deliveries')
            .addColumn(name, 'integer', (c) => c.notNull().defaultTo(dflt))
            .execute();
        }
        await db.schema.alterTable('deliveries').addColumn('note', 'text').execute();
        await db.schema
          .createTable('copy_tasks')
          .addColumn('id', autoId)
          .addColumn('broadcast_id', 'text', (c) => c.notNull())
          .addColumn('delivery_id', 'bigint', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('version', 'integer', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('result', 'text')
          .$call(queueLeaseColumns)
          .addColumn('error', 'text')
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .addUniqueConstraint('copy_tasks_once', ['delivery_id', 'kind', 'version'])
          .execute();
        await createQueueIndexes(db, 'copy_tasks');
        await db.schema
          .createIndex('broadcasts_sender')
          .on('broadcasts')
          .columns(['sender_id', 'created_at'])
          .execute();
        await db.schema.createIndex('deliveries_message').on('deliveries').column('message_id').execute();
      },
    },
    // Event keys are pruned by age (Store.pruneSeen): find the oldest without a full scan.
    '003_seen_events_created_at': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createIndex('seen_events_created_at')
          .on('seen_events')
          .column('created_at')
          .execute();
      },
    },
    // Claims read one index range in order (store/lease.ts `queueClaims`): pending rows by when they
    // are due, in-flight rows by when their lease runs out. Whether a broadcast is finished is one
    // probe of `broadcast_id, status`, not a scan of its copies.
    '004_claim_indexes': {
      async up(db: Kysely<unknown>) {
        for (const table of ['deliveries', 'copy_tasks']) {
          await db.schema.dropIndex(`${table}_claim`).execute();
          await db.schema
            .createIndex(`${table}_due`)
            .on(table)
            .columns(['status', 'not_before', 'id'])
            .execute();
          await db.schema
            .createIndex(`${table}_lease`)
            .on(table)
            .columns(['status', 'lease_until'])
            .execute();
        }
        await db.schema.dropIndex('deliveries_broadcast').execute();
        await db.schema
          .createIndex('deliveries_broadcast_status')
          .on('deliveries')
          .columns(['broadcast_id', 'status'])
          .execute();
      },
    },
    // One send budget per bot shared by every instance on the database (store/rate-budget.ts).
    '005_rate_budget': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('rate_budget')
          .addColumn('key', 'text', (c) => c.primaryKey())
          .addColumn('rate', 'double precision', (c) => c.notNull())
          .addColumn('capacity', 'double precision', (c) => c.notNull())
          .addColumn('tokens', 'double precision', (c) => c.notNull())
          .addColumn('refilled_at', 'bigint', (c) => c.notNull())
          .addColumn('paused_until', 'bigint', (c) => c.notNull().defaultTo(0))
          .execute();
      },
    },
  };
}

export class StaticMigrations implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

/** What every part of the store works through: the kysely instance and which database it is. */
import type { Kysely } from 'kysely';
import type { Dialect } from './migrations.js';
import type { Database } from './schema.js';

export type { Dialect } from './migrations.js';

export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /**
   * PostgreSQL: a connection of its own whose commits do not wait for the disk
   * (`synchronous_commit = off`), for the statements that record sent copies (deliveries.ts
   * `SentMarks`). Absent on SQLite.
   */
  readonly marksDb?: Kysely<Database> | undefined;
  /**
   * SQLite on a file: a long write is coming, so its statements go to the worker thread at once
   * rather than once the store has been busy two seconds (sqlite-driver.ts). Absent elsewhere.
   */
  readonly expectBusy?: (() => void) | undefined;
}

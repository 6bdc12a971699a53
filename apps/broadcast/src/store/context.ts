/** What every part of the store works through: the kysely instance and which database it is. */
import type { Kysely } from 'kysely';
import type { Dialect } from './migrations.js';
import type { Database } from './schema.js';

export type { Dialect } from './migrations.js';

export interface StoreContext {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
}

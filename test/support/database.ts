import pg from 'pg';
import { inject } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { createScratchDatabase, type ScratchDatabase } from './scratch-database.js';

export type TestDatabase = ScratchDatabase;

/** A fresh, empty database of its own for one test file, dropped afterwards. */
export function createTestDatabase(label: string): Promise<TestDatabase> {
  return createScratchDatabase(inject('pgAdminUrl'), `fbt_${label}`);
}

export interface MigratedDatabase {
  url: string;
  /** A small pool on it, for the test's own queries. */
  pool: pg.Pool;
  /** Ends the pool and drops the database. */
  close(): Promise<void>;
}

/** A fresh database with the bot's schema, for one test file. */
export async function createMigratedDatabase(label: string, poolSize = 2): Promise<MigratedDatabase> {
  const database = await createTestDatabase(label);
  const pool = new pg.Pool({ connectionString: database.url, max: poolSize });
  await migrate(pool);
  return {
    url: database.url,
    pool,
    close: async () => {
      await pool.end();
      await database.drop();
    },
  };
}

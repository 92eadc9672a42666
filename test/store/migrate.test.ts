import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { openStore } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let pool: pg.Pool;
beforeAll(async () => {
  db = await createTestDatabase('migrate');
  pool = new pg.Pool({ connectionString: db.url, max: 6 });
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe('migrate', () => {
  it('applies every migration exactly once, even when replicas start together', async () => {
    const results = await Promise.all([migrate(pool), migrate(pool), migrate(pool)]);
    const applied = results.flat().sort();
    expect(applied).toEqual(MIGRATIONS.map((m) => m.version));
    expect(await migrate(pool)).toEqual([]);
    const { rows } = await pool.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((r: { version: number }) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('rolls back a failing migration and names it', async () => {
    const broken = [...MIGRATIONS, { version: 999, name: 'broken', sql: 'CREATE TABLE ok_part (id int); SELECT nonsense_fn()' }];
    await expect(migrate(pool, broken)).rejects.toThrow(/migration 999 \(broken\) failed/);
    const { rows } = await pool.query(`SELECT to_regclass('ok_part') AS t`);
    expect(rows[0].t).toBeNull();
  });

  it('keeps its tables when a schema named like its login role appears later', async () => {
    const other = await createTestDatabase('migrate_user_schema');
    try {
      const log = createLogger('silent');
      const first = await openStore({ databaseUrl: other.url, dataDir: '', log });
      await first.pool.query(`INSERT INTO incidents (team_id, title, severity, status, opened_by)
        VALUES ('T1', 'Orders table locked', 2, 'investigating', 'U1')`);
      // A schema named for the role (the queue's, a DBA's) comes first in the default search_path.
      await first.pool.query('CREATE SCHEMA IF NOT EXISTS "' + (await first.pool.query('SELECT current_user AS u')).rows[0].u + '"');
      await first.close();

      const second = await openStore({ databaseUrl: other.url, dataDir: '', log });
      const { rows } = await second.pool.query('SELECT title FROM incidents');
      await second.close();
      expect(rows).toEqual([{ title: 'Orders table locked' }]);
    } finally {
      await other.drop();
    }
  });
});

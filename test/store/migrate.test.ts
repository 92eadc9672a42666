import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});

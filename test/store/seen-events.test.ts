import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.js';
import { SeenEvents } from '../../src/store/seen-events.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let pool: pg.Pool;
beforeAll(async () => {
  db = await createTestDatabase('seen_events');
  pool = new pg.Pool({ connectionString: db.url, max: 8 });
  await migrate(pool);
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

describe('SeenEvents', () => {
  it('lets exactly one of several concurrent deliveries of an event through', async () => {
    const seen = new SeenEvents(pool);
    const results = await Promise.all(Array.from({ length: 8 }, () => seen.firstTime('Ev0CONCURRENT')));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('forgets old ids and keeps recent ones', async () => {
    const seen = new SeenEvents(pool);
    await seen.firstTime('Ev0OLD');
    await seen.firstTime('Ev0NEW');
    await pool.query(`UPDATE slack_events_seen SET seen_at = now() - interval '2 days' WHERE event_id = 'Ev0OLD'`);
    expect(await seen.prune(24 * 3600 * 1000)).toBe(1);
    expect(await seen.firstTime('Ev0NEW')).toBe(false);
    expect(await seen.firstTime('Ev0OLD')).toBe(true);
  });
});

import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SlackGateway, SlackUser } from '../../src/ports/slack.js';
import type { Queryable } from '../../src/store/queryable.js';
import { UserDirectory } from '../../src/users/directory.js';
import { createMigratedDatabase, type MigratedDatabase } from '../support/database.js';

let database: MigratedDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createMigratedDatabase('users');
  pool = database.pool;
});

afterAll(() => database?.close());

/** A replica's view: its own directory on the shared table, counting what it asks of each. */
function replica() {
  const calls = { queries: 0, userInfo: 0 };
  const db: Queryable = {
    query: ((...args: Parameters<pg.Pool['query']>) => {
      calls.queries += 1;
      return pool.query(...args);
    }) as Queryable['query'],
  };
  const amina: SlackUser = { id: 'U0AMINA', tz: 'Africa/Nairobi', isBot: false, deleted: false };
  const slack = {
    userInfo: async (id: string) => {
      calls.userInfo += 1;
      return id === amina.id ? amina : null;
    },
  } as unknown as SlackGateway;
  return { directory: new UserDirectory(db, slack), calls };
}

it("asks Slack for a person's zone once for every replica, and reads it from PostgreSQL at most once a minute per replica", async () => {
  const first = replica();
  expect(await first.directory.zoneOf('U0AMINA')).toBe('Africa/Nairobi');
  expect(first.calls).toEqual({ queries: 2, userInfo: 1 });
  for (let note = 0; note < 5; note += 1) expect(await first.directory.zoneOf('U0AMINA')).toBe('Africa/Nairobi');
  expect(first.calls).toEqual({ queries: 2, userInfo: 1 });

  const second = replica();
  expect(await second.directory.zoneOf('U0AMINA')).toBe('Africa/Nairobi');
  expect(second.calls).toEqual({ queries: 1, userInfo: 0 });
});

it('does not remember someone Slack does not know', async () => {
  const { directory, calls } = replica();
  expect(await directory.zoneOf('U0GHOST')).toBeNull();
  expect(await directory.zoneOf('U0GHOST')).toBeNull();
  expect(calls.userInfo).toBe(2);
});

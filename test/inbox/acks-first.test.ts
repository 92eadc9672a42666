import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Inbox } from '../../src/inbox/inbox.js';
import { createLogger } from '../../src/log.js';
import { migrate } from '../../src/store/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/harness.js';

let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase('inbox_priority');
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
  await migrate(pool);
});

afterAll(async () => {
  await pool.end();
  await database.drop();
});

/** Handlers that hold until released, counting how many run at once. */
function gatedHandlers() {
  let running = 0;
  let most = 0;
  let done = 0;
  const gates: (() => void)[] = [];
  return {
    handler: async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => gates.push(resolve));
      running -= 1;
      done += 1;
    },
    releaseAll: () => gates.splice(0).forEach((open) => open()),
    get running() {
      return running;
    },
    get most() {
      return most;
    },
    get done() {
      return done;
    },
  };
}

it('runs only two handlers while Slack requests are being acked, and all of them once the acks are through', async () => {
  let acking = 5;
  const inbox = new Inbox({ pool, replicaId: 'r1', log: createLogger('silent'), concurrency: 10, acksWaiting: () => acking });
  const gated = gatedHandlers();
  inbox.register('note', gated.handler);
  for (let i = 0; i < 20; i += 1) inbox.handle(`command:T${i}`, 'note', {});
  await eventually(async () => (gated.running === 2 ? true : undefined));
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(gated.most).toBe(2);

  // The burst of acks is over: the next finish opens the inbox up to its full concurrency.
  acking = 0;
  gated.releaseAll();
  await eventually(async () => (gated.running === 10 ? true : undefined));
  expect(gated.most).toBe(10);
  for (;;) {
    gated.releaseAll();
    if (gated.done === 20) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(await inbox.stop(1_000)).toBe(true);
});

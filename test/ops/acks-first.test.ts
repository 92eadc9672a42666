import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Inbox } from '../../src/inbox/inbox.js';
import { createLogger } from '../../src/log.js';
import { Outbox } from '../../src/outbox/outbox.js';
import type { SlackGateway } from '../../src/ports/slack.js';
import { createMigratedDatabase, type MigratedDatabase } from '../support/database.js';
import { eventually } from '../support/harness.js';

let database: MigratedDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createMigratedDatabase('acks_first', 4);
  pool = database.pool;
});

afterAll(() => database?.close());

// While Slack requests are being acked, post-ack work (the inbox's handlers, the outbox's
// deliveries) runs only a little at a time, so the acks are not held up; once they are through,
// it runs at full concurrency again.

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

/** Releases everything waiting until `count` have finished. */
async function finish(gated: ReturnType<typeof gatedHandlers>, count: number): Promise<void> {
  while (gated.done < count) {
    gated.releaseAll();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
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
  await finish(gated, 20);
  expect(await inbox.stop(1_000)).toBe(true);
});

it('delivers one channel at a time while Slack requests are being acked, and eight once they are through', async () => {
  let acking = 3;
  const outbox = new Outbox({
    pool,
    // The effects below never call Slack.
    slack: {} as SlackGateway,
    replicaId: 'r1',
    metrics: { delivered: () => undefined, failed: () => undefined, throttled: () => undefined },
    log: createLogger('silent'),
    acksWaiting: () => acking,
  });
  const gated = gatedHandlers();
  outbox.register('test.hold', gated.handler);
  await outbox.start();
  const lanes = Array.from({ length: 12 }, (_, i) => `C0LANE${i}`);
  await outbox.add(pool, ...lanes.map((lane) => ({ lane, kind: 'test.hold', key: `hold:${lane}` })));
  await outbox.wake(lanes);
  await eventually(async () => (gated.running === 1 ? true : undefined));
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(gated.most).toBe(1);

  acking = 0;
  gated.releaseAll();
  await eventually(async () => (gated.running === 8 ? true : undefined));
  expect(gated.most).toBe(8);
  await finish(gated, 12);
  await outbox.stop(1_000);
  expect(await outbox.pendingCount()).toBe(0);
});

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { openQueues, type Queues } from '../../src/queue/queues.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { dropRedisPrefix } from '../support/redis.js';

const redisUrl = inject('redisUrl');
const log = createLogger('silent');

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('queues');
});
afterAll(async () => {
  await db.drop();
});

const backends = [
  { name: 'postgres', redis: null as string | null, skip: false },
  { name: 'redis', redis: redisUrl, skip: redisUrl === null },
];

describe.each(backends)('queues on $name', ({ name, redis, skip }) => {
  let queues: Queues;
  const prefix = `fbt_queues_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    if (skip) return;
    queues = openQueues({ redisUrl: redis, postgresUrl: db.url, prefix, log });
  });
  afterAll(async () => {
    await queues?.close();
    if (redis) await dropRedisPrefix(redis, prefix);
  });

  it.skipIf(skip)('says which backend it is on and answers a health ping', async () => {
    expect(queues.backend).toBe(name);
    await expect(queues.ping()).resolves.toBeUndefined();
  });

  it.skipIf(skip)('runs a job once, and a delayed job no earlier than its delay', async () => {
    const seen: { value: number; at: number }[] = [];
    let resolveAll: () => void;
    const allDone = new Promise<void>((resolve) => {
      resolveAll = resolve;
    });
    queues.worker<{ value: number }>('work', async (job) => {
      seen.push({ value: job.data.value, at: Date.now() });
      if (seen.length === 2) resolveAll();
    });
    const queue = queues.queue<{ value: number }>('work');
    const start = Date.now();
    await queue.add('now', { value: 1 });
    await queue.add('later', { value: 2 }, { delay: 200 });
    await allDone;
    expect(seen.map((s) => s.value)).toEqual([1, 2]);
    expect(seen[1]!.at - start).toBeGreaterThanOrEqual(200);
  });

  it.skipIf(skip)('does not run a job twice when it is added twice with the same id', async () => {
    const queue = queues.queue<{ n: number }>('dedupe');
    await queue.add('x', { n: 1 }, { jobId: 'same' });
    await queue.add('x', { n: 2 }, { jobId: 'same' });
    expect(await queue.getJobCounts('waiting')).toMatchObject({ waiting: 1 });
  });
});

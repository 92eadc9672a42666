import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EscalationEngine } from '../../src/escalation/engine.js';
import { postgresEscalationStore } from '../../src/escalation/records.js';
import { createLogger } from '../../src/log.js';
import { openQueues, type Queues } from '../../src/queue/queues.js';
import { migrate } from '../../src/store/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { kill, startWorker } from '../support/escalation-children.js';
import { benchSettings } from '../support/escalation-worker.js';
import { insertIncident, RecordingPageOutbox } from '../support/page-outbox.js';
import { dropRedisPrefix } from '../support/redis.js';

const redisUrl = inject('redisUrl');
const log = createLogger('silent');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const SPACING_MS = 300;
const ESCALATIONS = 50;

const backends = [
  { name: 'postgres', redis: null as string | null, skip: false },
  { name: 'redis', redis: redisUrl, skip: redisUrl === null },
];

describe.each(backends)('escalation workers SIGKILLed on $name', ({ redis, skip }) => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let queues: Queues;
  const prefix = `fbt_crash_${randomBytes(4).toString('hex')}`;
  const children: ChildProcess[] = [];
  beforeAll(async () => {
    if (skip) return;
    db = await createTestDatabase('esc_crash');
    pool = new pg.Pool({ connectionString: db.url, max: 5 });
    await migrate(pool);
    await RecordingPageOutbox.install(pool);
    queues = openQueues({ redisUrl: redis, postgresUrl: db.url, prefix, log });
  });
  afterAll(async () => {
    await Promise.all(children.map((c) => kill(c)));
    await queues?.close();
    await pool?.end();
    await db?.drop();
    if (redis) await dropRedisPrefix(redis, prefix);
  });

  it.skipIf(skip)('sends every due page exactly once, none more than 2 s late', async () => {
    const env = { databaseUrl: db.url, redisUrl: redis, prefix, spacingMs: SPACING_MS };
    const workers = await Promise.all([startWorker(env), startWorker(env)]);
    children.push(...workers);
    // This process only starts escalations; the children page.
    const starter = new EscalationEngine({ store: postgresEscalationStore(pool), queues, outbox: new RecordingPageOutbox(pool), usergroupMembers: async () => [], settings: benchSettings(SPACING_MS), log });
    const ids: number[] = [];
    const starting = (async () => {
      for (let i = 0; i < ESCALATIONS; i += 1) {
        const id = await insertIncident(pool);
        ids.push(id);
        await starter.start(id, 1, new Date());
        await sleep(40);
      }
    })();
    // Kill one worker at a random moment, restart it, then the other, while escalations run.
    for (let round = 0; round < 4; round += 1) {
      await sleep(150 + Math.random() * 400);
      const victim = round % 2;
      await kill(workers[victim]!);
      workers[victim] = await startWorker(env);
      children.push(workers[victim]!);
    }
    await starting;
    const expected = ESCALATIONS * 3;
    const deadline = Date.now() + 15_000;
    let count = 0;
    while (Date.now() < deadline) {
      const { rows } = await pool.query<{ n: string }>("SELECT count(*) AS n FROM test_page_effects WHERE kind = 'page'");
      count = Number(rows[0]?.n);
      if (count >= expected) break;
      await sleep(100);
    }
    await sleep(500);
    const { rows } = await pool.query<{ key: string; copies: string; late_ms: string }>(
      `SELECT e.key, count(*) AS copies, max(extract(epoch FROM e.recorded_at - p.due_at) * 1000) AS late_ms
       FROM test_page_effects e JOIN pages p ON p.id = e.page_id WHERE e.kind = 'page' GROUP BY e.key`,
    );
    const expectedKeys = ids.flatMap((id) => [`page:${id}:0:0:0:UA1`, `page:${id}:0:0:1:UB2`, `page:${id}:0:0:2:UC3`]).sort();
    expect(rows.map((r) => r.key).sort()).toEqual(expectedKeys);
    expect(rows.filter((r) => Number(r.copies) > 1)).toEqual([]);
    const late = rows.filter((r) => Number(r.late_ms) > 2000);
    expect(late).toEqual([]);
  }, 60_000);
});

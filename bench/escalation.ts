// Escalation engine under a paging storm: BENCH_ESCALATIONS (1,000) escalations of 3 tiers
// each, all due at the same instants, worked by 3 worker processes
// (test/support/escalation-worker.ts), on each queue backend. Per round: pages sent,
// duplicates (must be 0), missing (must be 0), p50/p99 lateness of a page against its due time
// (target p99 < 1 s). Prints every round, then the median of each figure. Exit status 1 when a
// page is duplicated or missing, or on set-up failure; lateness is a measurement, not a verdict.
//
//   npx tsx bench/escalation.ts          (or npm run bench:escalation)
//
// Environment (all optional):
//   BENCH_DATABASE_URL   admin URL; a scratch database is created there and dropped
//                        (default postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_REDIS_URL      Redis for the Redis round (default redis://127.0.0.1:6379; "" skips it)
//   BENCH_ROUNDS         rounds per backend (3)
//   BENCH_ESCALATIONS    escalations per round (1000)
//   BENCH_SPACING_MS     time between tiers (1000)
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { EscalationEngine } from '../src/escalation/engine.js';
import { postgresEscalationStore } from '../src/escalation/records.js';
import { createLogger } from '../src/log.js';
import { openQueues } from '../src/queue/queues.js';
import { migrate } from '../src/store/migrate.js';
import { kill, startWorker } from '../test/support/escalation-children.js';
import { benchSettings } from '../test/support/escalation-worker.js';
import { insertIncident, RecordingPageOutbox } from '../test/support/page-outbox.js';
import { dropRedisPrefix } from '../test/support/redis.js';
import { createScratchDatabase } from '../test/support/scratch-database.js';
import { intEnv } from './env.js';

const ADMIN_URL = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const ROUNDS = intEnv('BENCH_ROUNDS', 3, 1);
const ESCALATIONS = intEnv('BENCH_ESCALATIONS', 1000, 1);
const SPACING_MS = intEnv('BENCH_SPACING_MS', 1000, 1);
const WORKERS = 3;
const TIERS = 3;
const log = createLogger('silent');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Round {
  sent: number;
  duplicates: number;
  missing: number;
  p50: number;
  p99: number;
  max: number;
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
const median = (values: number[]): number => quantile([...values].sort((a, b) => a - b), 0.5);

async function redisReachable(url: string): Promise<boolean> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true, retryStrategy: () => null });
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function round(pool: pg.Pool, starter: EscalationEngine): Promise<Round> {
  const ids: number[] = [];
  for (let i = 0; i < ESCALATIONS; i += 1) ids.push(await insertIncident(pool));
  // Every escalation starts at the same instant, so each tier is a storm of ESCALATIONS pages.
  const at = new Date(Date.now() + 3000);
  for (let i = 0; i < ids.length; i += 50) await Promise.all(ids.slice(i, i + 50).map((id) => starter.start(id, 1, at)));
  const expected = ESCALATIONS * TIERS;
  const deadline = at.getTime() + (TIERS - 1) * SPACING_MS + 30_000;
  for (;;) {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(DISTINCT key) AS n FROM test_page_effects WHERE kind = 'page' AND incident_id = ANY($1)`, [ids]);
    if (Number(rows[0]?.n) >= expected || Date.now() > deadline) break;
    await sleep(200);
  }
  await sleep(1000);
  const { rows } = await pool.query<{ key: string; copies: string; late_ms: string }>(
    `SELECT e.key, count(*) AS copies, min(extract(epoch FROM e.recorded_at - p.due_at) * 1000) AS late_ms
     FROM test_page_effects e JOIN pages p ON p.id = e.page_id
     WHERE e.kind = 'page' AND e.incident_id = ANY($1) GROUP BY e.key`,
    [ids],
  );
  const late = rows.map((r) => Number(r.late_ms)).sort((a, b) => a - b);
  return {
    sent: rows.reduce((n, r) => n + Number(r.copies), 0),
    duplicates: rows.reduce((n, r) => n + Number(r.copies) - 1, 0),
    missing: expected - rows.length,
    p50: quantile(late, 0.5),
    p99: quantile(late, 0.99),
    max: late.at(-1) ?? NaN,
  };
}

async function backend(name: 'postgres' | 'redis', redisUrl: string | null): Promise<Round[]> {
  const db = await createScratchDatabase(ADMIN_URL, 'fb_bench_esc');
  const prefix = `fb_bench_esc_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: db.url, max: 8 });
  const queues = openQueues({ redisUrl, postgresUrl: db.url, prefix, log });
  const children: ChildProcess[] = [];
  try {
    await migrate(pool);
    await RecordingPageOutbox.install(pool);
    const env = { databaseUrl: db.url, redisUrl, prefix, spacingMs: SPACING_MS };
    children.push(...(await Promise.all(Array.from({ length: WORKERS }, () => startWorker(env)))));
    const starter = new EscalationEngine({ store: postgresEscalationStore(pool), queues, outbox: new RecordingPageOutbox(pool), usergroupMembers: async () => [], settings: benchSettings(SPACING_MS), log });
    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      const r = await round(pool, starter);
      rounds.push(r);
      console.log(`${name.padEnd(8)} round ${i + 1}: ${JSON.stringify(r)}`);
    }
    return rounds;
  } finally {
    await Promise.all(children.map((c) => kill(c, 'SIGTERM')));
    await queues.close();
    await pool.end();
    await db.drop();
    if (redisUrl) await dropRedisPrefix(redisUrl, prefix);
  }
}

async function main(): Promise<void> {
  const results: [string, Round[]][] = [['postgres', await backend('postgres', null)]];
  if (REDIS_URL && (await redisReachable(REDIS_URL))) results.push(['redis', await backend('redis', REDIS_URL)]);
  else console.log('redis: skipped (BENCH_REDIS_URL empty or Redis not reachable)');
  console.log(`\n${ESCALATIONS} escalations × ${TIERS} tiers (${SPACING_MS} ms apart), ${WORKERS} worker processes, median of ${ROUNDS} rounds`);
  console.log('backend  | pages sent | duplicates | missing | p50 late ms | p99 late ms | max late ms');
  console.log('---------|-----------:|-----------:|--------:|------------:|------------:|-----------:');
  let bad = false;
  for (const [name, rounds] of results) {
    const m = (pick: (r: Round) => number): number => median(rounds.map(pick));
    if (rounds.some((r) => r.duplicates > 0 || r.missing > 0)) bad = true;
    const cells = [m((r) => r.sent), Math.max(...rounds.map((r) => r.duplicates)), Math.max(...rounds.map((r) => r.missing)), m((r) => r.p50).toFixed(0), m((r) => r.p99).toFixed(0), m((r) => r.max).toFixed(0)];
    console.log(`${name.padEnd(8)} | ${cells.map(String).join(' | ')}`);
  }
  console.log('(duplicates and missing are the worst round; target p99 < 1000 ms)');
  process.exit(bad ? 1 : 0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

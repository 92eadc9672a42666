import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EscalationEngine } from '../../src/escalation/engine.js';
import { postgresEscalationStore } from '../../src/escalation/records.js';
import { createLogger } from '../../src/log.js';
import { openQueues, type Queues } from '../../src/queue/queues.js';
import { migrate } from '../../src/store/migrate.js';
import { freePort } from '../support/bot-process.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { benchSettings } from '../support/escalation-worker.js';
import { insertIncident, RecordingPageOutbox } from '../support/page-outbox.js';

const haveRedis = spawnSync('redis-server', ['--version']).status === 0;
if (!haveRedis && process.env.CI === 'true') throw new Error('CI needs redis-server to start a Redis of its own for the restart test');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = createLogger('silent');
const ESCALATIONS = 10;
// Tiers 3 s apart: the second and third fall due while Redis is stopped.
const settings = benchSettings(3_000);

let dir: string;
let port: number;
let redis: ChildProcess | null = null;
let db: TestDatabase;
let pool: pg.Pool;
let queues: Queues;
let engine: EscalationEngine;

/** A Redis of this test's own, with AOF on, so it can be stopped and started again. */
async function startRedis(): Promise<void> {
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--save', ''], {
    stdio: 'ignore',
  });
  for (let tries = 0; tries < 100; tries += 1) {
    if (spawnSync('redis-cli', ['-p', String(port), 'ping']).stdout?.toString().trim() === 'PONG') return;
    await sleep(50);
  }
  throw new Error('the test Redis did not start');
}

async function stopRedis(): Promise<void> {
  const proc = redis;
  redis = null;
  if (!proc) return;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  if (!haveRedis) return;
  dir = mkdtempSync(join(tmpdir(), 'firebreak-redis-'));
  port = await freePort();
  await startRedis();
  db = await createTestDatabase('redis_restart');
  pool = new pg.Pool({ connectionString: db.url, max: 10 });
  await migrate(pool);
  await RecordingPageOutbox.install(pool);
  queues = openQueues({ redisUrl: `redis://127.0.0.1:${port}`, postgresUrl: db.url, prefix: 'fbt_restart', log });
  engine = new EscalationEngine({
    store: postgresEscalationStore(pool),
    queues,
    outbox: new RecordingPageOutbox(pool),
    usergroupMembers: async () => [],
    settings,
    log,
    reconcileEveryMs: 200,
  });
  await engine.run();
}, 60_000);

afterAll(async () => {
  engine?.stopReconciler();
  await queues?.close().catch(() => undefined);
  await stopRedis();
  await pool?.end();
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it.skipIf(!haveRedis)('sends every remaining page once after Redis is stopped for 10 s mid-escalation and restarted', async () => {
  const outbox = new RecordingPageOutbox(pool);
  const ids: number[] = [];
  for (let i = 0; i < ESCALATIONS; i += 1) {
    const id = await insertIncident(pool);
    ids.push(id);
    await engine.start(id, 1, new Date());
  }
  const pagesOf = async () => (await outbox.effects()).filter((e) => e.kind === 'page' && ids.includes(e.incidentId));
  for (let waited = 0; (await pagesOf()).length < ESCALATIONS && waited < 5_000; waited += 50) await sleep(50);
  expect(await pagesOf()).toHaveLength(ESCALATIONS);

  // Tiers 2 and 3 fall due while Redis is gone.
  await stopRedis();
  await sleep(10_000);
  await startRedis();

  for (let waited = 0; (await pagesOf()).length < 3 * ESCALATIONS && waited < 20_000; waited += 100) await sleep(100);
  await sleep(1_000);
  const pages = await pagesOf();
  expect(pages).toHaveLength(3 * ESCALATIONS);
  expect(new Set(pages.map((p) => p.key)).size).toBe(3 * ESCALATIONS);
  for (const id of ids) {
    expect(pages.filter((p) => p.incidentId === id).map((p) => p.userId)).toEqual(['UA1', 'UB2', 'UC3']);
  }
}, 60_000);

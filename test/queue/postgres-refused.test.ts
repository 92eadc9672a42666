import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, inject, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { openQueues } from '../../src/queue/queues.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually } from '../support/harness.js';
import { asRole, ROLE_PASSWORD } from '../support/roles.js';

const log = createLogger('silent');
const prefix = `fbt_refused_${randomBytes(4).toString('hex')}`;
let db: TestDatabase;
let role: string;
const children: ChildProcess[] = [];

async function asAdmin(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** test/support/queue-worker.ts as the limited role; resolves once its worker exists. */
async function startWorker(): Promise<{ proc: ChildProcess; output: () => string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'test/support/queue-worker.ts'], {
    env: { ...process.env, QW_DATABASE_URL: asRole(db.url, role), QW_PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(proc);
  let output = '';
  proc.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await eventually(async () => (output.includes('ready') ? true : undefined), 15_000);
  return { proc, output: () => output };
}

const ticks = (output: string) => output.match(/tick/g)?.length ?? 0;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  db = await createTestDatabase('queues_refused');
  const name = new URL(db.url).pathname.slice(1);
  role = `refused_${name.slice(-8)}`;
  await asAdmin(`CREATE ROLE ${role} LOGIN PASSWORD '${ROLE_PASSWORD}'; ALTER DATABASE ${name} OWNER TO ${role}`);
  // The queue schema exists already: only the worker's first connection is turned away.
  const queues = openQueues({ redisUrl: null, postgresUrl: asRole(db.url, role), prefix, log });
  await queues.ping();
  await queues.close();
});

afterEach(async () => {
  await Promise.all(
    children.splice(0).map((child) =>
      child.exitCode !== null || child.signalCode !== null
        ? undefined
        : new Promise((resolve) => {
            child.once('exit', resolve);
            child.kill('SIGKILL');
          }),
    ),
  );
});

afterAll(async () => {
  await db?.drop();
  if (role) await asAdmin(`DROP ROLE IF EXISTS ${role}`);
});

it('a PostgreSQL-backed worker whose first connection is refused keeps its process alive and runs jobs once the database lets it in', async () => {
  await asAdmin(`ALTER ROLE ${role} CONNECTION LIMIT 0`);
  const worker = await startWorker();

  // Refused ("too many connections for role"), it waits and tries again, its event loop free.
  await sleep(1_500);
  expect(ticks(worker.output())).toBeGreaterThanOrEqual(5);

  await asAdmin(`ALTER ROLE ${role} CONNECTION LIMIT -1`);
  const queues = openQueues({ redisUrl: null, postgresUrl: asRole(db.url, role), prefix, log });
  try {
    await queues.queue<{ n: number }>('work').add('job', { n: 1 });
    await eventually(async () => (worker.output().includes('done 1') ? true : undefined), 15_000);
  } finally {
    await queues.close();
  }
}, 40_000);

it('closes at once on SIGTERM while the database still refuses it', async () => {
  await asAdmin(`ALTER ROLE ${role} CONNECTION LIMIT 0`);
  const worker = await startWorker();
  // Long enough to be waiting between tries, not in the first one.
  await sleep(1_000);
  const exited = new Promise<number | null>((resolve) => worker.proc.once('exit', resolve));
  worker.proc.kill('SIGTERM');
  await eventually(async () => (worker.output().includes('closed') ? true : undefined), 3_000);
  expect(await exited).toBe(0);
}, 30_000);

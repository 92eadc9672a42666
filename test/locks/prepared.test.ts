import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLocksPool, diagnose, type LocksPool } from '../../src/locks/diagnose.js';
import { renderDiagnosis } from '../../src/locks/render.js';
import { createLogger } from '../../src/log.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/store/embedded.js';
import { waitForLockWaits } from '../support/lock-waits.js';

// The shared server runs with max_prepared_transactions = 0, so this shape gets a server of its own.
let dir: string;
let server: EmbeddedDatabase;
let locks: LocksPool;
const clients: pg.Client[] = [];

async function connect(application: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: server.url, application_name: application });
  client.on('error', () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'firebreak-prepared-'));
  server = await startEmbeddedPostgres(dir, createLogger('silent'), { settings: { max_prepared_transactions: '5' } });
  locks = createLocksPool({ name: 'main', url: server.url }, 2_000);
}, 60_000);

afterAll(async () => {
  const admin = await connect('cleanup');
  await admin.query("ROLLBACK PREPARED 'deploy-42'").catch(() => undefined);
  for (const client of clients) await client.end().catch(() => undefined);
  await locks?.pool.end();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('names a prepared transaction (pid 0) as the root blocker and never offers to end it', async () => {
  const setup = await connect('setup');
  await setup.query('CREATE TABLE accounts (id int PRIMARY KEY, balance int); INSERT INTO accounts VALUES (1, 100)');
  await setup.query("BEGIN; UPDATE accounts SET balance = 0 WHERE id = 1; PREPARE TRANSACTION 'deploy-42'");
  const waiter = await connect('checkout-api');
  const { rows } = await waiter.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  void waiter.query('UPDATE accounts SET balance = 1 WHERE id = 1').catch(() => undefined);
  await waitForLockWaits(setup, [rows[0]!.pid], 10_000);

  const result = await diagnose(locks);
  expect(result.kind).toBe('ok');
  if (result.kind !== 'ok') return;
  expect(result.forest.roots).toHaveLength(1);
  const root = result.forest.roots[0]!;
  expect(root.holder.kind).toBe('prepared');
  if (root.holder.kind === 'prepared') expect(root.holder.prepared.gid).toBe('deploy-42');
  expect(root.blocksTotal).toBe(1);
  const rendered = JSON.stringify(renderDiagnosis(result, 'main', 'redacted').message);
  expect(rendered).toContain('deploy-42');
  expect(rendered).not.toContain('locks_terminate');
  expect(rendered).not.toContain('locks_cancel');
});

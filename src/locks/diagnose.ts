import pg from 'pg';
import { DIAGNOSE_SQL, connectionSetupSql, type DiagnosisRow } from './sql.js';
import { describeDatabase, type LockDatabase } from './settings.js';
import { buildForest, type Forest } from './tree.js';

export const APPLICATION_NAME = 'firebreak-locks';

export type Diagnosis =
  | { kind: 'ok'; forest: Forest; row: DiagnosisRow; elapsedMs: number }
  | { kind: 'failed'; database: string; reason: string };

export interface LocksPool {
  database: LockDatabase;
  pool: pg.Pool;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

/** Short enough that a locked catalog fails fast and says so, well inside statement_timeout. */
function lockTimeoutFor(statementTimeoutMs: number): number {
  return Math.max(50, Math.min(500, Math.floor(statementTimeoutMs / 2)));
}

/**
 * A small pool of its own per inspected database, so /locks still answers when the application's
 * pool is exhausted, and can never write. lock_timeout is set after connecting (not as a startup
 * option) so the server's own value can be read first for the "would have prevented it" hints.
 */
export function createLocksPool(database: LockDatabase, statementTimeoutMs: number): LocksPool {
  const pool = new pg.Pool({
    connectionString: database.url,
    max: 2,
    connectionTimeoutMillis: Math.max(1000, statementTimeoutMs),
    idleTimeoutMillis: 60_000,
    application_name: APPLICATION_NAME,
    options: `-c jit=off -c statement_timeout=${Math.trunc(statementTimeoutMs)} -c default_transaction_read_only=on`,
  });
  // An idle connection killed by the server: the next diagnosis opens another one.
  pool.on('error', () => undefined);
  return { database, pool, statementTimeoutMs, lockTimeoutMs: lockTimeoutFor(statementTimeoutMs) };
}

const prepared = new WeakSet<pg.PoolClient>();

function reasonOf(error: unknown, target: LocksPool): string {
  const where = describeDatabase(target.database.url);
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  const message = error instanceof Error ? error.message : String(error);
  if (code === '57014') {
    return `the diagnostic statement on ${where} ran into its statement_timeout (${target.statementTimeoutMs} ms): the server is overloaded or the statement is stuck behind a lock`;
  }
  if (code === '55P03') {
    return `the diagnostic statement on ${where} could not lock a system catalog within ${target.lockTimeoutMs} ms: a session holds an exclusive lock on one (VACUUM FULL or DDL on a catalog)`;
  }
  if (code === '42501') return `the monitoring role on ${where} lacks a privilege: ${message}`;
  if (/timeout/i.test(message) && code === '') return `could not connect to ${where} within ${target.statementTimeoutMs} ms`;
  // Messages of node-postgres name the host, never the password; the URL itself is never included.
  return `could not run the diagnostic on ${where}: ${message.split(target.database.url).join(where)}`;
}

/** One read-only statement: the forest of blocking trees, or exactly why it could not be read. */
export async function diagnose(target: LocksPool): Promise<Diagnosis> {
  const started = performance.now();
  let client: pg.PoolClient;
  try {
    client = await target.pool.connect();
  } catch (error) {
    return { kind: 'failed', database: target.database.name, reason: reasonOf(error, target) };
  }
  let broken = false;
  try {
    if (!prepared.has(client)) {
      await client.query(connectionSetupSql(target.lockTimeoutMs));
      prepared.add(client);
    }
    // Named: parsed and planned once per connection (planning is a tenth of its cost).
    const result = await client.query<DiagnosisRow>({ name: 'firebreak-locks-diagnose', text: DIAGNOSE_SQL });
    const row = result.rows[0] as DiagnosisRow;
    return { kind: 'ok', forest: buildForest(row), row, elapsedMs: performance.now() - started };
  } catch (error) {
    broken = !(typeof error === 'object' && error !== null && 'code' in error);
    return { kind: 'failed', database: target.database.name, reason: reasonOf(error, target) };
  } finally {
    client.release(broken);
  }
}

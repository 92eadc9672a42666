// /locks diagnosis cost and correctness against the two approaches the well-known tools use,
// in the same run, on the same database: its own embedded PostgreSQL with 200 idle sessions and
// every contention shape (hot row, chain, SAVEPOINT, DDL queue, advisory, prepared transaction,
// deadlock cycle, another database), then again with ~15,000 more held locks.
//
//   npx tsx bench/locks.ts          (or npm run bench:locks)
//
// Environment (optional): BENCH_REPEATS (50), BENCH_EXTRA_LOCKS (15000), BENCH_IDLE (200).
// Prints a table per phase; exits 0 whatever the verdict (a measurement), 1 on a set-up error.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createLocksPool, diagnose } from '../src/locks/diagnose.js';
import { DIAGNOSE_SQL } from '../src/locks/sql.js';
import { createLogger } from '../src/log.js';
import { startEmbeddedPostgres } from '../src/store/embedded.js';
import { waitForLockWaits } from '../test/support/lock-waits.js';
import { intEnv } from './env.js';

const REPEATS = intEnv('BENCH_REPEATS', 50, 1);
const EXTRA_LOCKS = intEnv('BENCH_EXTRA_LOCKS', 15_000, 1);
const IDLE = intEnv('BENCH_IDLE', 200, 1);
const LOCKS_PER_HOLDER = 500;

// ── the peers, written afresh from their public descriptions ──────────────────────────────────

/** pg_activity / PgHero: every ungranted lock joined to the granted locks on the same object. */
const SELF_JOIN_SQL = `
SELECT blocked.pid AS blocked_pid, blocking.pid AS blocking_pid, blocked_act.query AS blocked_query, blocking_act.query AS blocking_query,
       blocking_act.state AS blocking_state, blocked.mode, blocked.locktype
FROM pg_catalog.pg_locks blocked
JOIN pg_catalog.pg_stat_activity blocked_act ON blocked_act.pid = blocked.pid
JOIN pg_catalog.pg_locks blocking
  ON blocking.locktype = blocked.locktype
 AND blocking.database IS NOT DISTINCT FROM blocked.database
 AND blocking.relation IS NOT DISTINCT FROM blocked.relation
 AND blocking.page IS NOT DISTINCT FROM blocked.page
 AND blocking.tuple IS NOT DISTINCT FROM blocked.tuple
 AND blocking.virtualxid IS NOT DISTINCT FROM blocked.virtualxid
 AND blocking.transactionid IS NOT DISTINCT FROM blocked.transactionid
 AND blocking.classid IS NOT DISTINCT FROM blocked.classid
 AND blocking.objid IS NOT DISTINCT FROM blocked.objid
 AND blocking.objsubid IS NOT DISTINCT FROM blocked.objsubid
 AND blocking.pid <> blocked.pid
 AND blocking.granted
JOIN pg_catalog.pg_stat_activity blocking_act ON blocking_act.pid = blocking.pid
WHERE NOT blocked.granted`;

/** The PostgreSQL wiki: sessions with a non-empty pg_blocking_pids, joined to their blockers. */
const BLOCKING_PIDS_SQL = `
SELECT blocked.pid AS blocked_pid, blocking.pid AS blocking_pid, blocked.query AS blocked_query, blocking.query AS blocking_query,
       blocking.state AS blocking_state
FROM pg_catalog.pg_stat_activity blocked
JOIN pg_catalog.pg_stat_activity blocking ON blocking.pid = ANY (pg_catalog.pg_blocking_pids(blocked.pid))
WHERE cardinality(pg_catalog.pg_blocking_pids(blocked.pid)) > 0`;

/** A peer's roots: blockers that are not blocked themselves. */
function rootsOfEdges(rows: { blocked_pid: number; blocking_pid: number }[]): Set<string> {
  const blocked = new Set(rows.map((r) => r.blocked_pid));
  return new Set(rows.filter((r) => !blocked.has(r.blocking_pid)).map((r) => `pid ${r.blocking_pid}`));
}

// ── the scene ─────────────────────────────────────────────────────────────────────────────────

type Client = pg.Client & { pid: number };
const clients: Client[] = [];
const pending: Promise<unknown>[] = [];

async function connect(url: string, name: string): Promise<Client> {
  const client = new pg.Client({ connectionString: url, application_name: name });
  client.on('error', () => undefined);
  await client.connect();
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const c = Object.assign(client, { pid: rows[0]?.pid as number });
  clients.push(c);
  return c;
}

function background(client: pg.Client, sql: string): void {
  pending.push(client.query(sql).catch(() => undefined));
}

function waiting(admin: pg.Client, ...pids: number[]): Promise<void> {
  return waitForLockWaits(admin, pids, 20_000);
}

interface Scene {
  expectedRoots: Set<string>;
  cycle: number[];
  hotRoot: number;
  firstWriter: number;
}

async function buildScene(url: string, otherUrl: string, admin: pg.Client): Promise<Scene> {
  await admin.query(`
    CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
    INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 10) g;
    CREATE TABLE ledger (id int PRIMARY KEY, v int);
    INSERT INTO ledger SELECT g, 0 FROM generate_series(1, 10) g;
    CREATE TABLE orders (id int PRIMARY KEY);`);
  const other = await connect(otherUrl, 'bench-other-setup');
  await other.query('CREATE TABLE IF NOT EXISTS secrets (id int)');

  for (let i = 0; i < IDLE; i += 20) {
    await Promise.all(Array.from({ length: Math.min(20, IDLE - i) }, (_, j) => connect(url, `bench-idle-${i + j}`)));
  }

  const expected = new Set<string>();
  const open = (name: string) => connect(url, `bench-${name}`);

  // Hot row: a root and five writers.
  const hot = await open('hot-root');
  await hot.query('BEGIN; UPDATE accounts SET balance = balance + 1 WHERE id = 2');
  expected.add(`pid ${hot.pid}`);
  let firstWriter = 0;
  for (let i = 0; i < 5; i += 1) {
    const w = await open(`hot-writer-${i}`);
    background(w, 'UPDATE accounts SET balance = balance - 1 WHERE id = 2');
    await waiting(admin, w.pid);
    if (i === 0) firstWriter = w.pid;
  }

  // Chain A <- B <- C.
  const [a, b, c] = [await open('chain-a'), await open('chain-b'), await open('chain-c')];
  await a.query('BEGIN; UPDATE ledger SET v = 1 WHERE id = 1');
  await b.query('BEGIN; UPDATE ledger SET v = 2 WHERE id = 2');
  background(b, 'UPDATE ledger SET v = 2 WHERE id = 1');
  await waiting(admin, b.pid);
  background(c, 'UPDATE ledger SET v = 3 WHERE id = 2');
  await waiting(admin, c.pid);
  expected.add(`pid ${a.pid}`);

  // The seed: BEGIN; SAVEPOINT; UPDATE; then idle in transaction, writers queue on the subxact.
  const sp = await open('savepoint-root');
  await sp.query('BEGIN; SAVEPOINT s; UPDATE accounts SET balance = 0 WHERE id = 3');
  expected.add(`pid ${sp.pid}`);
  for (let i = 0; i < 3; i += 1) {
    const w = await open(`savepoint-writer-${i}`);
    background(w, 'UPDATE accounts SET balance = 1 WHERE id = 3');
    await waiting(admin, w.pid);
  }

  // DDL behind an idle reader, SELECTs behind the DDL.
  const reader = await open('ddl-reader');
  await reader.query('BEGIN; SELECT count(*) FROM orders');
  expected.add(`pid ${reader.pid}`);
  const ddl = await open('ddl-alter');
  background(ddl, 'ALTER TABLE orders ADD COLUMN note text');
  await waiting(admin, ddl.pid);
  for (let i = 0; i < 3; i += 1) {
    const s = await open(`ddl-select-${i}`);
    background(s, `SELECT * FROM orders WHERE id = ${i}`);
    await waiting(admin, s.pid);
  }

  // Advisory lock.
  const adv = await open('advisory-holder');
  await adv.query('SELECT pg_advisory_lock(4242)');
  expected.add(`pid ${adv.pid}`);
  const advWaiter = await open('advisory-waiter');
  background(advWaiter, 'SELECT pg_advisory_lock(4242)');
  await waiting(admin, advWaiter.pid);

  // A prepared transaction holding a row: its holder is pid 0.
  const prep = await open('prepared');
  await prep.query("BEGIN; UPDATE accounts SET balance = 7 WHERE id = 5; PREPARE TRANSACTION 'bench-prepared'");
  expected.add('prepared bench-prepared');
  const prepWaiter = await open('prepared-waiter');
  background(prepWaiter, 'UPDATE accounts SET balance = 8 WHERE id = 5');
  await waiting(admin, prepWaiter.pid);

  // A deadlock cycle, kept alive by a long deadlock_timeout (superuser-settable per session).
  const [x, y] = [await open('cycle-x'), await open('cycle-y')];
  for (const s of [x, y]) await s.query("SET deadlock_timeout = '10min'");
  await x.query('BEGIN; UPDATE ledger SET v = 10 WHERE id = 5');
  await y.query('BEGIN; UPDATE ledger SET v = 20 WHERE id = 6');
  background(x, 'UPDATE ledger SET v = 10 WHERE id = 6');
  await waiting(admin, x.pid);
  background(y, 'UPDATE ledger SET v = 20 WHERE id = 5');
  await waiting(admin, y.pid);

  // A relation of another database.
  const foreignHolder = await connect(otherUrl, 'bench-foreign-holder');
  await foreignHolder.query('BEGIN; LOCK TABLE secrets IN ACCESS EXCLUSIVE MODE');
  expected.add(`pid ${foreignHolder.pid}`);
  const foreignWaiter = await connect(otherUrl, 'bench-foreign-waiter');
  background(foreignWaiter, 'SELECT * FROM secrets');
  await waiting(admin, foreignWaiter.pid);

  return { expectedRoots: expected, cycle: [x.pid, y.pid], hotRoot: hot.pid, firstWriter };
}

/** Idle-in-transaction sessions that hold many advisory locks and block nobody. */
async function holdExtraLocks(url: string, total: number): Promise<void> {
  const holders = Math.ceil(total / LOCKS_PER_HOLDER);
  for (let h = 0; h < holders; h += 1) {
    const s = await connect(url, `bench-many-${h}`);
    const n = Math.min(LOCKS_PER_HOLDER, total - h * LOCKS_PER_HOLDER);
    await s.query(`BEGIN; SELECT count(pg_advisory_xact_lock(1000000 + ${h * LOCKS_PER_HOLDER} + g)) FROM generate_series(1, ${n}) g`);
  }
}

// ── measuring ─────────────────────────────────────────────────────────────────────────────────

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

interface Figures {
  name: string;
  clientMs: number[];
  serverMs: number[];
  roots: Set<string>;
}

async function serverTime(client: pg.Client, sql: string): Promise<number> {
  const { rows } = await client.query<{ 'QUERY PLAN': [{ 'Planning Time': number; 'Execution Time': number }] }>(
    `EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON, FORMAT JSON) ${sql}`,
  );
  const plan = rows[0]?.['QUERY PLAN'][0];
  return (plan?.['Planning Time'] ?? NaN) + (plan?.['Execution Time'] ?? NaN);
}

async function measure(url: string, locksUrl: string): Promise<Figures[]> {
  const locks = createLocksPool({ name: 'bench', url: locksUrl }, 5000);
  const peer = await connect(url, 'bench-peer-runner');
  await peer.query('SET jit = off');
  const ours: Figures = { name: 'Firebreak (one statement)', clientMs: [], serverMs: [], roots: new Set() };
  const selfJoin: Figures = { name: 'pg_locks self-join (pg_activity, PgHero)', clientMs: [], serverMs: [], roots: new Set() };
  const wiki: Figures = { name: 'join on pg_blocking_pids (wiki)', clientMs: [], serverMs: [], roots: new Set() };
  try {
    await diagnose(locks); // warm the pool's connections and their one-time set-up
    for (let i = 0; i < REPEATS; i += 1) {
      let t = performance.now();
      const result = await diagnose(locks);
      ours.clientMs.push(performance.now() - t);
      if (result.kind !== 'ok') throw new Error(result.reason);
      ours.roots = new Set(
        result.forest.roots.map((r) => (r.holder.kind === 'session' ? `pid ${r.holder.session.pid}` : `prepared ${r.holder.prepared.gid}`)),
      );
      for (const [figures, sql] of [
        [selfJoin, SELF_JOIN_SQL],
        [wiki, BLOCKING_PIDS_SQL],
      ] as const) {
        t = performance.now();
        const { rows } = await peer.query<{ blocked_pid: number; blocking_pid: number }>(sql);
        figures.clientMs.push(performance.now() - t);
        figures.roots = rootsOfEdges(rows);
      }
    }
    // EXPLAIN ANALYZE on one of our pool's connections, so it runs with our settings.
    const ourClient = await locks.pool.connect();
    try {
      for (let i = 0; i < REPEATS; i += 1) {
        ours.serverMs.push(await serverTime(ourClient, DIAGNOSE_SQL));
        selfJoin.serverMs.push(await serverTime(peer, SELF_JOIN_SQL));
        wiki.serverMs.push(await serverTime(peer, BLOCKING_PIDS_SQL));
      }
    } finally {
      ourClient.release();
    }
  } finally {
    await locks.pool.end();
  }
  return [ours, selfJoin, wiki];
}

function table(title: string, figures: Figures[], expected: Set<string>): string[] {
  const same = (s: Set<string>) => s.size === expected.size && [...s].every((r) => expected.has(r));
  const lines = [
    `### ${title}`,
    '',
    '| approach | server p50 ms | server p99 ms | client p50 ms | client p99 ms | roots right? |',
    '|---|---:|---:|---:|---:|---|',
  ];
  for (const f of figures) {
    const missing = [...expected].filter((r) => !f.roots.has(r));
    const extra = [...f.roots].filter((r) => !expected.has(r));
    const verdict = same(f.roots)
      ? 'yes'
      : `no${missing.length ? `: misses ${missing.join(', ')}` : ''}${extra.length ? `${missing.length ? ';' : ':'} wrongly names ${extra.join(', ')}` : ''}`;
    const fmt = (n: number) => n.toFixed(2);
    lines.push(
      `| ${f.name} | ${fmt(quantile(f.serverMs, 0.5))} | ${fmt(quantile(f.serverMs, 0.99))} | ${fmt(quantile(f.clientMs, 0.5))} | ${fmt(quantile(f.clientMs, 0.99))} | ${verdict} |`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'firebreak-bench-locks-'));
  const log = createLogger('warn');
  const server = await startEmbeddedPostgres(dir, log, {
    settings: { max_connections: '450', max_locks_per_transaction: '128', max_prepared_transactions: '10' },
  });
  const output: string[] = [];
  try {
    const base = new URL(server.url);
    const admin = await connect(server.url, 'bench-admin');
    await admin.query('CREATE DATABASE bench');
    await admin.query('CREATE DATABASE bench_other');
    const url = Object.assign(new URL(base), { pathname: '/bench' }).toString();
    const otherUrl = Object.assign(new URL(base), { pathname: '/bench_other' }).toString();
    const benchAdmin = await connect(url, 'bench-setup');
    const scene = await buildScene(url, otherUrl, benchAdmin);
    const count = async () => (await benchAdmin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks')).rows[0]?.n ?? 0;
    const conns = async () => (await benchAdmin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity')).rows[0]?.n ?? 0;

    const version = (await benchAdmin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v;
    output.push(`PostgreSQL ${version}, ${await conns()} backends, ${REPEATS} repeats; expected roots: ${[...scene.expectedRoots].join(', ')}; cycle ${scene.cycle.join(' ↔ ')}`, '');
    output.push(...table(`Shapes + ${IDLE} idle sessions (${await count()} rows in pg_locks)`, await measure(url, url), scene.expectedRoots), '');
    await holdExtraLocks(url, EXTRA_LOCKS);
    output.push(...table(`Same + ${EXTRA_LOCKS} more held locks (${await count()} rows in pg_locks)`, await measure(url, url), scene.expectedRoots));
    console.log(output.join('\n'));
  } finally {
    // A prepared transaction outlives its session: end it from its own database.
    const benchAdmin = clients[1];
    if (benchAdmin) await benchAdmin.query("ROLLBACK PREPARED 'bench-prepared'").catch(() => undefined);
    for (const c of clients.splice(0).reverse()) await c.end().catch(() => undefined);
    await Promise.all(pending.splice(0));
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

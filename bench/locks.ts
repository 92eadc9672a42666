// /locks diagnosis cost and correctness against the two approaches the well-known tools use,
// in the same run, on the same database: its own embedded PostgreSQL with ~15,000 held locks and
// nobody waiting; then 200 idle sessions and every contention shape (hot row, chain, SAVEPOINT,
// DDL queue, advisory, prepared transaction, deadlock cycle, another database), then again with
// the ~15,000 held locks (bench/lock-scene.ts).
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
import { intEnv } from './env.js';
import { LockScene } from './lock-scene.js';

const REPEATS = intEnv('BENCH_REPEATS', 50, 1);
const EXTRA_LOCKS = intEnv('BENCH_EXTRA_LOCKS', 15_000, 1);
const IDLE = intEnv('BENCH_IDLE', 200, 1);

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

async function measure(lockScene: LockScene, url: string, locksUrl: string): Promise<Figures[]> {
  const locks = createLocksPool({ name: 'bench', url: locksUrl }, 5000);
  const peer = await lockScene.connect(url, 'bench-peer-runner');
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
  const lockScene = new LockScene();
  try {
    const base = new URL(server.url);
    const admin = await lockScene.connect(server.url, 'bench-admin');
    await admin.query('CREATE DATABASE bench');
    await admin.query('CREATE DATABASE bench_other');
    const url = Object.assign(new URL(base), { pathname: '/bench' }).toString();
    const otherUrl = Object.assign(new URL(base), { pathname: '/bench_other' }).toString();
    const benchAdmin = await lockScene.connect(url, 'bench-setup');
    const count = async () => (await benchAdmin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks')).rows[0]?.n ?? 0;
    const conns = async () => (await benchAdmin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity')).rows[0]?.n ?? 0;
    // The common answer first: many locks held, nobody waiting.
    await lockScene.holdExtraLocks(url, EXTRA_LOCKS);
    const quiet = table(`Nobody waits, ${EXTRA_LOCKS} held locks (${await count()} rows in pg_locks)`, await measure(lockScene, url, url), new Set());
    await lockScene.releaseExtraLocks();
    const scene = await lockScene.build(url, otherUrl, benchAdmin, IDLE);

    const version = (await benchAdmin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v;
    output.push(`PostgreSQL ${version}, ${await conns()} backends, ${REPEATS} repeats; expected roots: ${[...scene.expectedRoots].join(', ')}; cycle ${scene.cycle.join(' ↔ ')}`, '');
    output.push(...quiet, '');
    output.push(...table(`Shapes + ${IDLE} idle sessions (${await count()} rows in pg_locks)`, await measure(lockScene, url, url), scene.expectedRoots), '');
    await lockScene.holdExtraLocks(url, EXTRA_LOCKS);
    output.push(...table(`Same + ${EXTRA_LOCKS} more held locks (${await count()} rows in pg_locks)`, await measure(lockScene, url, url), scene.expectedRoots));
    console.log(output.join('\n'));
  } finally {
    await lockScene.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

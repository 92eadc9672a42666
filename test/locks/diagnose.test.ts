import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { actOn, mayAct } from '../../src/locks/actions.js';
import { createLocksPool, diagnose, type LocksPool } from '../../src/locks/diagnose.js';
import type { Forest, RootNode, WaiterNode } from '../../src/locks/tree.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitForLockWaits } from '../support/lock-waits.js';
import { asRole, ROLE_PASSWORD } from '../support/roles.js';

let db: TestDatabase;
let other: TestDatabase;
let locks: LocksPool;
const clients: pg.Client[] = [];
const pending: Promise<unknown>[] = [];

/** The application's sessions run as an ordinary role: Firebreak never signals a superuser. */
let appRole: string;

async function session(name: string, options: { url?: string; superuser?: boolean } = {}): Promise<pg.Client & { pid: number }> {
  const url = options.url ?? db.url;
  const client = new pg.Client({
    connectionString: options.superuser ? url : asRole(url, appRole),
    application_name: `locks-test-${name}`,
  });
  client.on('error', () => undefined); // terminated at cleanup
  await client.connect();
  clients.push(client);
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return Object.assign(client, { pid: rows[0]?.pid as number });
}

/** Starts a statement that is expected to wait; its failure at cleanup is expected too. */
function background(client: pg.Client, sql: string): void {
  pending.push(client.query(sql).catch(() => undefined));
}

function waiting(...pids: number[]): Promise<void> {
  return waitForLockWaits(clients[0] as pg.Client, pids, 10_000);
}

async function forest(): Promise<Forest> {
  const result = await diagnose(locks);
  if (result.kind !== 'ok') throw new Error(result.reason);
  return result.forest;
}

/** Only what this file built: other test files share the server. */
function rootsOf(f: Forest, pids: number[]): RootNode[] {
  return f.roots.filter((r) => r.holder.kind === 'session' && pids.includes(r.holder.session.pid));
}

function rootPid(root: RootNode | undefined): number | undefined {
  return root?.holder.kind === 'session' ? root.holder.session.pid : undefined;
}

function shape(nodes: WaiterNode[]): unknown[] {
  return nodes.map((n) => ({ pids: n.pids, wait: n.waitText, children: shape(n.children) }));
}

beforeAll(async () => {
  db = await createTestDatabase('locks');
  other = await createTestDatabase('locks_other');
  locks = createLocksPool({ name: 'main', url: db.url }, 2000);
  const setup = await session('setup', { superuser: true });
  appRole = `locks_app_${new URL(db.url).pathname.slice(-8)}`;
  await setup.query(`CREATE ROLE ${appRole} LOGIN PASSWORD '${ROLE_PASSWORD}'`);
  await setup.query(`
    CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
    INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 5) g;
    CREATE TABLE orders (id int PRIMARY KEY);
    CREATE TABLE ledger (id int PRIMARY KEY, v int);
    INSERT INTO ledger VALUES (1, 0), (2, 0);
    GRANT ALL ON ALL TABLES IN SCHEMA public TO ${appRole};
    ALTER TABLE orders OWNER TO ${appRole};`);
  const foreign = new pg.Client({ connectionString: other.url });
  await foreign.connect();
  await foreign.query(`CREATE TABLE secrets (id int); GRANT ALL ON secrets TO ${appRole}`);
  await foreign.end();
});

afterEach(async () => {
  const admin = clients[0] as pg.Client;
  const pids = clients.slice(1).map((c) => (c as pg.Client & { pid: number }).pid);
  await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1)', [pids]);
  await Promise.all(pending.splice(0));
  await Promise.all(clients.splice(1).map((c) => c.end().catch(() => undefined)));
});

afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
  await locks?.pool.end();
  await db?.drop();
  await other?.drop();
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  await admin.query(`DROP ROLE IF EXISTS ${appRole}`);
  await admin.end();
});

describe('diagnose on a real PostgreSQL', () => {
  it('hot row: the root is the transaction holding the row, the first writer holds the tuple lock, the rest queue behind it', async () => {
    const root = await session('root');
    await root.query('BEGIN; UPDATE accounts SET balance = balance + 1 WHERE id = 2');
    const writers = [];
    for (let i = 0; i < 5; i += 1) {
      const w = await session(`writer${i}`);
      background(w, 'UPDATE accounts SET balance = balance - 1 WHERE id = 2');
      await waiting(w.pid);
      writers.push(w.pid);
    }
    const f = await forest();
    const [top, ...rest] = rootsOf(f, [root.pid, ...writers]);
    expect(rest).toEqual([]);
    expect(rootPid(top)).toBe(root.pid);
    expect(top?.blocksDirectly).toBe(1);
    expect(top?.blocksTotal).toBe(5);
    expect(top?.holds).toEqual([{ relation: { name: 'public.accounts' }, mode: 'RowExclusiveLock' }]);
    expect(top?.holder.kind === 'session' && top.holder.session.state).toBe('idle in transaction');
    expect(shape(top?.children ?? [])).toEqual([
      {
        pids: [writers[0]],
        wait: `row (0,2) of public.accounts, held by the transaction of pid ${root.pid}`,
        children: [{ pids: writers.slice(1), wait: 'row (0,2) of public.accounts', children: [] }],
      },
    ]);
    expect(f.suggestions.map((s) => s.setting)).toContain('idle_in_transaction_session_timeout');
  });

  it('chain A <- B <- C', async () => {
    const a = await session('a');
    const b = await session('b');
    const c = await session('c');
    await a.query('BEGIN; UPDATE ledger SET v = 1 WHERE id = 1');
    await b.query('BEGIN; UPDATE ledger SET v = 2 WHERE id = 2');
    background(b, 'UPDATE ledger SET v = 2 WHERE id = 1');
    await waiting(b.pid);
    background(c, 'UPDATE ledger SET v = 3 WHERE id = 2');
    await waiting(c.pid);
    const [top, ...rest] = rootsOf(await forest(), [a.pid, b.pid, c.pid]);
    expect(rest).toEqual([]);
    expect(rootPid(top)).toBe(a.pid);
    expect([top?.blocksDirectly, top?.blocksTotal]).toEqual([1, 2]);
    expect(shape(top?.children ?? [])).toEqual([
      {
        pids: [b.pid],
        wait: `row (0,1) of public.ledger, held by the transaction of pid ${a.pid}`,
        children: [{ pids: [c.pid], wait: `row (0,2) of public.ledger, held by the transaction of pid ${b.pid}`, children: [] }],
      },
    ]);
  });

  it('after a SAVEPOINT the writers wait on a subtransaction id, still attributed to its session', async () => {
    const root = await session('savepoint');
    await root.query('BEGIN; SAVEPOINT s; UPDATE accounts SET balance = 0 WHERE id = 3');
    const { rows } = await root.query<{ top: string; sub: string }>(
      `SELECT backend_xid::text AS top, (SELECT max(transactionid::text::bigint)::text FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'transactionid') AS sub FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
    );
    expect(rows[0]?.sub).not.toBe(rows[0]?.top);
    const writers = [];
    for (let i = 0; i < 3; i += 1) {
      const w = await session(`sub${i}`);
      background(w, 'UPDATE accounts SET balance = 1 WHERE id = 3');
      await waiting(w.pid);
      writers.push(w.pid);
    }
    const [top, ...rest] = rootsOf(await forest(), [root.pid, ...writers]);
    expect(rest).toEqual([]);
    expect(rootPid(top)).toBe(root.pid);
    expect(top?.blocksTotal).toBe(3);
    expect(top?.children[0]?.pids).toEqual([writers[0]]);
    expect(top?.children[0]?.wait).toEqual({
      kind: 'transaction',
      holder: { kind: 'session', pid: root.pid },
      row: { relation: { name: 'public.accounts' }, page: 0, tuple: 3 },
    });
    expect(top?.children[0]?.children[0]?.pids).toEqual(writers.slice(1));
  });

  it('DDL behind an idle reader: the reader is the root, the ALTER its waiter, the SELECTs queue under the ALTER', async () => {
    const reader = await session('reader');
    await reader.query('BEGIN; SELECT count(*) FROM orders');
    const ddl = await session('ddl');
    background(ddl, 'ALTER TABLE orders ADD COLUMN note text');
    await waiting(ddl.pid);
    const selects = [];
    for (let i = 0; i < 3; i += 1) {
      const s = await session(`select${i}`);
      background(s, 'SELECT * FROM orders WHERE id = ' + (i + 1));
      await waiting(s.pid);
      selects.push(s.pid);
    }
    const f = await forest();
    const [top, ...rest] = rootsOf(f, [reader.pid, ddl.pid, ...selects]);
    expect(rest).toEqual([]);
    expect(rootPid(top)).toBe(reader.pid);
    expect([top?.blocksDirectly, top?.blocksTotal]).toEqual([1, 4]);
    expect(top?.holds).toEqual([{ relation: { name: 'public.orders' }, mode: 'AccessShareLock' }]);
    expect(shape(top?.children ?? [])).toEqual([
      {
        pids: [ddl.pid],
        wait: 'table public.orders, for ALTER TABLE (AccessExclusiveLock)',
        children: [{ pids: selects, wait: 'table public.orders, for SELECT (AccessShareLock)', children: [] }],
      },
    ]);
    expect(f.suggestions.map((s) => s.setting)).toEqual(
      expect.arrayContaining(['idle_in_transaction_session_timeout', 'lock_timeout', 'log_lock_waits']),
    );
  });

  it('advisory locks, held by an idle session outside any transaction', async () => {
    const holder = await session('adv-holder');
    await holder.query('SELECT pg_advisory_lock(4242)');
    const w = await session('adv-waiter');
    background(w, 'SELECT pg_advisory_lock(4242)');
    await waiting(w.pid);
    const [top] = rootsOf(await forest(), [holder.pid, w.pid]);
    expect(rootPid(top)).toBe(holder.pid);
    expect(top?.holder.kind === 'session' && top.holder.session.state).toBe('idle');
    expect(shape(top?.children ?? [])).toEqual([{ pids: [w.pid], wait: 'advisory lock 4242', children: [] }]);
  });

  it('a relation of another database is named as such, never guessed from its oid', async () => {
    const holder = await session('foreign-holder', { url: other.url });
    await holder.query('BEGIN; LOCK TABLE secrets IN ACCESS EXCLUSIVE MODE');
    const w = await session('foreign-waiter', { url: other.url });
    background(w, 'SELECT * FROM secrets');
    await waiting(w.pid);
    const otherName = new URL(other.url).pathname.slice(1);
    const [top] = rootsOf(await forest(), [holder.pid, w.pid]);
    expect(rootPid(top)).toBe(holder.pid);
    expect(top?.holds.map((h) => h.relation)).toEqual([expect.objectContaining({ database: otherName })]);
    expect(top?.children[0]?.waitText).toBe(`a relation in database ${otherName}, for SELECT (AccessShareLock)`);
  });

  it('a deadlock cycle is reported as a cycle until the detector runs', async () => {
    // deadlock_timeout may only be changed by a superuser.
    const a = await session('cycle-a', { superuser: true });
    const b = await session('cycle-b', { superuser: true });
    for (const c of [a, b]) await c.query("SET deadlock_timeout = '20s'");
    await a.query('BEGIN; UPDATE ledger SET v = 10 WHERE id = 1');
    await b.query('BEGIN; UPDATE ledger SET v = 20 WHERE id = 2');
    background(a, 'UPDATE ledger SET v = 10 WHERE id = 2');
    await waiting(a.pid);
    background(b, 'UPDATE ledger SET v = 20 WHERE id = 1');
    await waiting(b.pid);
    const f = await forest();
    expect(rootsOf(f, [a.pid, b.pid])).toEqual([]);
    const cycle = f.cycles.find((c) => c.members.some((m) => m.pids.includes(a.pid)));
    expect(cycle?.members.flatMap((m) => m.pids).sort()).toEqual([a.pid, b.pid].sort());
  });

  it('says so when its role cannot see other roles\' sessions, and still finds the roots', async () => {
    const monitor = `${appRole}_mon`;
    const setup = clients[0] as pg.Client;
    await setup.query(`CREATE ROLE ${monitor} LOGIN PASSWORD '${ROLE_PASSWORD}'`);
    const blind = createLocksPool({ name: 'blind', url: asRole(db.url, monitor) }, 2000);
    try {
      const root = await session('blind-root');
      await root.query('BEGIN; UPDATE accounts SET balance = 9 WHERE id = 5');
      const w = await session('blind-waiter');
      background(w, 'UPDATE accounts SET balance = 8 WHERE id = 5');
      await waiting(w.pid);
      const result = await diagnose(blind);
      if (result.kind !== 'ok') throw new Error(result.reason);
      expect(result.forest.visibilityWarning).toContain(`GRANT pg_monitor TO ${monitor}`);
      const [top] = rootsOf(result.forest, [root.pid, w.pid]);
      expect(rootPid(top)).toBe(root.pid);
      expect(top?.holder.kind === 'session' && top.holder.session.query).toBe('<insufficient privilege>');
    } finally {
      await blind.pool.end();
      await setup.query(`DROP ROLE ${monitor}`);
    }
  });

  it('says exactly why when a system catalog it reads is locked', async () => {
    await diagnose(locks); // a warm connection: connecting itself reads the catalogs
    const locker = await session('catalog-locker', { superuser: true });
    await locker.query('BEGIN; LOCK TABLE pg_catalog.pg_namespace IN ACCESS EXCLUSIVE MODE');
    const result = await diagnose(locks);
    await locker.query('ROLLBACK');
    expect(result).toEqual({ kind: 'failed', database: 'main', reason: expect.stringMatching(/could not lock a system catalog within 500 ms|statement_timeout/) });
  });

});

describe('acting on a root', () => {
  it('lets only listed users and members of listed usergroups act, expanding groups at click time', async () => {
    let members = ['U0MEMBER'];
    const groups = async (id: string) => (id === 'S0DBAS' ? members : []);
    expect(await mayAct('U0DBA1', ['U0DBA1', 'S0DBAS'], groups)).toBe(true);
    expect(await mayAct('U0MEMBER', ['U0DBA1', 'S0DBAS'], groups)).toBe(true);
    expect(await mayAct('U0OTHER', ['U0DBA1', 'S0DBAS'], groups)).toBe(false);
    members = [];
    expect(await mayAct('U0MEMBER', ['U0DBA1', 'S0DBAS'], groups)).toBe(false);
    expect(await mayAct('U0DBA1', [], groups)).toBe(false);
  });

  it('refuses a wrong backend_start (a reused pid), a session that is no longer a root, and cancel on an idle root; terminates a real root', async () => {
    const root = await session('act-root');
    await root.query('BEGIN; UPDATE accounts SET balance = 5 WHERE id = 4');
    const w = await session('act-waiter');
    background(w, 'UPDATE accounts SET balance = 6 WHERE id = 4');
    await waiting(w.pid);
    const [top] = rootsOf(await forest(), [root.pid, w.pid]);
    const start = top?.holder.kind === 'session' ? (top.holder.session.backendStart as string) : '';
    const earlier = new Date(new Date(start).getTime() - 1000).toISOString();

    expect(await actOn(locks.pool, 'terminate', root.pid, earlier)).toEqual({ kind: 'gone', pid: root.pid });
    // Another live backend's pid with the shown session's backend_start: not the session that was shown.
    expect(await actOn(locks.pool, 'terminate', w.pid, start)).toEqual({ kind: 'gone', pid: w.pid });
    const waiterStart = (await root.query<{ s: string }>(`SELECT to_json(backend_start)#>>'{}' AS s FROM pg_stat_activity WHERE pid = $1`, [w.pid])).rows[0]?.s as string;
    expect(await actOn(locks.pool, 'terminate', w.pid, waiterStart)).toMatchObject({ kind: 'no-longer-root' });
    expect(await actOn(locks.pool, 'cancel', root.pid, start)).toMatchObject({ kind: 'refused' });
    expect(await actOn(locks.pool, 'terminate', 0, start)).toMatchObject({ kind: 'refused' });
    const alive = await root.query('SELECT 1').then(() => true);
    expect(alive).toBe(true);

    expect(await actOn(locks.pool, 'terminate', root.pid, start)).toEqual({ kind: 'done', action: 'terminate', pid: root.pid });
    await pending.at(-1);
    const after = await forest();
    expect(rootsOf(after, [root.pid, w.pid])).toEqual([]);
  });

  it('refuses a root that no longer blocks anyone', async () => {
    const idle = await session('act-idle');
    await idle.query('BEGIN; SELECT 1');
    const start = (await idle.query<{ s: string }>(`SELECT to_json(backend_start)#>>'{}' AS s FROM pg_stat_activity WHERE pid = pg_backend_pid()`)).rows[0]?.s as string;
    expect(await actOn(locks.pool, 'terminate', idle.pid, start)).toEqual({ kind: 'no-longer-root', pid: idle.pid, why: `pid ${idle.pid} no longer blocks anyone` });
  });
});

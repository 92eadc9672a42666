// The /locks benchmarks' contention scene, built for real on a PostgreSQL server: 200 idle
// sessions and every contention shape (hot row, chain, SAVEPOINT, DDL queue, advisory, prepared
// transaction, deadlock cycle, another database), and optionally ~15,000 more held locks that
// block nobody. Used by bench/locks.ts (the diagnosis alone) and bench/locks-e2e.ts (the command).
import pg from 'pg';
import { waitForLockWaits } from '../test/support/lock-waits.js';

const LOCKS_PER_HOLDER = 500;

type Client = pg.Client & { pid: number };

export interface Scene {
  expectedRoots: Set<string>;
  cycle: number[];
  hotRoot: number;
  firstWriter: number;
}

/** The sessions of a scene; `close` ends them all (and the prepared transaction, which outlives its session). */
export class LockScene {
  private readonly clients: Client[] = [];
  private readonly pending: Promise<unknown>[] = [];
  /** The sessions of holdExtraLocks, idle in the transactions that hold the locks. */
  private readonly extra: Client[] = [];
  /** Where the prepared transaction was made: ROLLBACK PREPARED must run in its database. */
  private prepareUrl: string | null = null;

  async connect(url: string, name: string): Promise<Client> {
    const client = new pg.Client({ connectionString: url, application_name: name });
    client.on('error', () => undefined);
    await client.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const c = Object.assign(client, { pid: rows[0]?.pid as number });
    this.clients.push(c);
    return c;
  }

  private background(client: pg.Client, sql: string): void {
    this.pending.push(client.query(sql).catch(() => undefined));
  }

  /** Builds every shape in database `url` (`otherUrl`: a second database on the same server); `admin` is a session of `url`. */
  async build(url: string, otherUrl: string, admin: pg.Client, idle: number): Promise<Scene> {
    const waiting = (...pids: number[]) => waitForLockWaits(admin, pids, 20_000);
    const background = (client: pg.Client, sql: string) => this.background(client, sql);
    await admin.query(`
      CREATE TABLE accounts (id int PRIMARY KEY, balance int NOT NULL);
      INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 10) g;
      CREATE TABLE ledger (id int PRIMARY KEY, v int);
      INSERT INTO ledger SELECT g, 0 FROM generate_series(1, 10) g;
      CREATE TABLE orders (id int PRIMARY KEY);`);
    this.prepareUrl = url;
    const other = await this.connect(otherUrl, 'bench-other-setup');
    await other.query('CREATE TABLE IF NOT EXISTS secrets (id int)');

    for (let i = 0; i < idle; i += 20) {
      await Promise.all(Array.from({ length: Math.min(20, idle - i) }, (_, j) => this.connect(url, `bench-idle-${i + j}`)));
    }

    const expected = new Set<string>();
    const open = (name: string) => this.connect(url, `bench-${name}`);

    // Hot row: a root and five writers.
    const hot = await open('hot-root');
    await hot.query('BEGIN; UPDATE accounts SET balance = balance + 1 WHERE id = 2');
    expected.add(`pid ${hot.pid}`);
    let firstWriter = 0;
    for (let i = 0; i < 5; i += 1) {
      const w = await open(`hot-writer-${i}`);
      background(w, 'UPDATE accounts SET balance = balance - 1 WHERE id = 2');
      await waiting(w.pid);
      if (i === 0) firstWriter = w.pid;
    }

    // Chain A <- B <- C.
    const [a, b, c] = [await open('chain-a'), await open('chain-b'), await open('chain-c')];
    await a.query('BEGIN; UPDATE ledger SET v = 1 WHERE id = 1');
    await b.query('BEGIN; UPDATE ledger SET v = 2 WHERE id = 2');
    background(b, 'UPDATE ledger SET v = 2 WHERE id = 1');
    await waiting(b.pid);
    background(c, 'UPDATE ledger SET v = 3 WHERE id = 2');
    await waiting(c.pid);
    expected.add(`pid ${a.pid}`);

    // The seed: BEGIN; SAVEPOINT; UPDATE; then idle in transaction, writers queue on the subxact.
    const sp = await open('savepoint-root');
    await sp.query('BEGIN; SAVEPOINT s; UPDATE accounts SET balance = 0 WHERE id = 3');
    expected.add(`pid ${sp.pid}`);
    for (let i = 0; i < 3; i += 1) {
      const w = await open(`savepoint-writer-${i}`);
      background(w, 'UPDATE accounts SET balance = 1 WHERE id = 3');
      await waiting(w.pid);
    }

    // DDL behind an idle reader, SELECTs behind the DDL.
    const reader = await open('ddl-reader');
    await reader.query('BEGIN; SELECT count(*) FROM orders');
    expected.add(`pid ${reader.pid}`);
    const ddl = await open('ddl-alter');
    background(ddl, 'ALTER TABLE orders ADD COLUMN note text');
    await waiting(ddl.pid);
    for (let i = 0; i < 3; i += 1) {
      const s = await open(`ddl-select-${i}`);
      background(s, `SELECT * FROM orders WHERE id = ${i}`);
      await waiting(s.pid);
    }

    // Advisory lock.
    const adv = await open('advisory-holder');
    await adv.query('SELECT pg_advisory_lock(4242)');
    expected.add(`pid ${adv.pid}`);
    const advWaiter = await open('advisory-waiter');
    background(advWaiter, 'SELECT pg_advisory_lock(4242)');
    await waiting(advWaiter.pid);

    // A prepared transaction holding a row: its holder is pid 0.
    const prep = await open('prepared');
    await prep.query("BEGIN; UPDATE accounts SET balance = 7 WHERE id = 5; PREPARE TRANSACTION 'bench-prepared'");
    expected.add('prepared bench-prepared');
    const prepWaiter = await open('prepared-waiter');
    background(prepWaiter, 'UPDATE accounts SET balance = 8 WHERE id = 5');
    await waiting(prepWaiter.pid);

    // A deadlock cycle, kept alive by a long deadlock_timeout (superuser-settable per session).
    const [x, y] = [await open('cycle-x'), await open('cycle-y')];
    for (const s of [x, y]) await s.query("SET deadlock_timeout = '10min'");
    await x.query('BEGIN; UPDATE ledger SET v = 10 WHERE id = 5');
    await y.query('BEGIN; UPDATE ledger SET v = 20 WHERE id = 6');
    background(x, 'UPDATE ledger SET v = 10 WHERE id = 6');
    await waiting(x.pid);
    background(y, 'UPDATE ledger SET v = 20 WHERE id = 5');
    await waiting(y.pid);

    // A relation of another database.
    const foreignHolder = await this.connect(otherUrl, 'bench-foreign-holder');
    await foreignHolder.query('BEGIN; LOCK TABLE secrets IN ACCESS EXCLUSIVE MODE');
    expected.add(`pid ${foreignHolder.pid}`);
    const foreignWaiter = await this.connect(otherUrl, 'bench-foreign-waiter');
    background(foreignWaiter, 'SELECT * FROM secrets');
    await waiting(foreignWaiter.pid);

    return { expectedRoots: expected, cycle: [x.pid, y.pid], hotRoot: hot.pid, firstWriter };
  }

  /** Idle-in-transaction sessions that hold `total` advisory locks in all and block nobody. */
  async holdExtraLocks(url: string, total: number): Promise<void> {
    const holders = Math.ceil(total / LOCKS_PER_HOLDER);
    for (let h = 0; h < holders; h += 1) {
      const s = await this.connect(url, `bench-many-${h}`);
      this.extra.push(s);
      const n = Math.min(LOCKS_PER_HOLDER, total - h * LOCKS_PER_HOLDER);
      await s.query(`BEGIN; SELECT count(pg_advisory_xact_lock(1000000 + ${h * LOCKS_PER_HOLDER} + g)) FROM generate_series(1, ${n}) g`);
    }
  }

  /** Ends the transactions of holdExtraLocks: their locks are gone, their sessions stay idle. */
  async releaseExtraLocks(): Promise<void> {
    for (const s of this.extra.splice(0)) await s.query('ROLLBACK');
  }

  async close(): Promise<void> {
    if (this.prepareUrl !== null) {
      const end = new pg.Client({ connectionString: this.prepareUrl });
      await end.connect().then(() => end.query("ROLLBACK PREPARED 'bench-prepared'")).catch(() => undefined);
      await end.end().catch(() => undefined);
    }
    for (const c of this.clients.splice(0).reverse()) await c.end().catch(() => undefined);
    await Promise.all(this.pending.splice(0));
  }
}

import type { DiagnosisRow, HolderRow, LockRow, SessionRow } from '../../src/locks/sql.js';

/** Builds the rows of the diagnostic statement for the pure tree and rendering tests. */
export const NOW = new Date('2026-03-02T10:00:00.000Z');

export function ago(seconds: number): string {
  return new Date(NOW.getTime() - seconds * 1000).toISOString();
}

export function sessionRow(pid: number, over: Partial<SessionRow> = {}): SessionRow {
  return {
    pid,
    usename: 'app',
    application_name: 'billing',
    client_addr: '10.0.0.5',
    backend_type: 'client backend',
    state: 'active',
    state_change: ago(60),
    xact_start: ago(60),
    query_start: ago(60),
    backend_start: `2026-03-02T09:00:00.${String(pid).padStart(6, '0')}+00:00`,
    wait_event_type: null,
    wait_event: null,
    query: 'SELECT 1',
    datname: 'app',
    superuser: false,
    ...over,
  };
}

type Target =
  | { tuple: [relation: number, page: number, tuple: number] }
  | { relation: number }
  | { xid: string }
  | { advisory: [classid: number, objid: number, objsubid: number] };

function lockFields(t: Target): Pick<LockRow, 'target' | 'locktype' | 'database' | 'relation' | 'page' | 'tuple' | 'virtualxid' | 'transactionid' | 'classid' | 'objid' | 'objsubid'> {
  const none = { database: null, relation: null, page: null, tuple: null, virtualxid: null, transactionid: null, classid: null, objid: null, objsubid: null };
  if ('tuple' in t) {
    const [relation, page, tuple] = t.tuple;
    return { ...none, target: `tuple:5:${relation}:${page}:${tuple}`, locktype: 'tuple', database: 5, relation, page, tuple };
  }
  if ('relation' in t) return { ...none, target: `relation:5:${t.relation}`, locktype: 'relation', database: 5, relation: t.relation };
  if ('xid' in t) return { ...none, target: `transactionid:${t.xid}`, locktype: 'transactionid', transactionid: t.xid };
  const [classid, objid, objsubid] = t.advisory;
  return { ...none, target: `advisory:5:${classid}:${objid}:${objsubid}`, locktype: 'advisory', database: 5, classid, objid, objsubid };
}

const NAMES: Record<number, string> = { 500: 'public.accounts', 501: 'public.orders', 502: 'public.accounts_pkey' };

export function lock(pid: number | null, target: Target, mode: string, granted: boolean, over: Partial<LockRow> = {}): LockRow {
  const fields = lockFields(target);
  const relname = fields.relation === null ? null : (NAMES[fields.relation] ?? null);
  return {
    ...fields,
    relname,
    relkind: fields.relation === 502 ? 'i' : relname ? 'r' : null,
    reldb: fields.database === null ? null : 'app',
    pid,
    mode,
    granted,
    vxid: pid === null ? '-1/900' : `${pid}/1`,
    waitstart: granted ? null : ago(30),
    ...over,
  };
}

export interface Shape {
  sessions: SessionRow[];
  /** Locks wanted (ungranted) and the relation/tuple locks held. */
  locks: LockRow[];
  /** Granted locks on wanted targets (what the statement's holders column returns). */
  held?: LockRow[];
  blocked: [pid: number, blockers: number[]][];
  over?: Partial<DiagnosisRow>;
}

export function diagnosisRow(shape: Shape): DiagnosisRow {
  const wanted = new Set(shape.locks.filter((l) => !l.granted).map((l) => l.target));
  const all = [...shape.locks, ...(shape.held ?? [])];
  const holders: HolderRow[] = all
    .filter((l) => l.granted && wanted.has(l.target))
    .map((l) => ({ target: l.target, pid: l.pid, mode: l.mode, vxid: l.vxid }));
  return {
    now: NOW,
    database: 'app',
    user: 'firebreak_monitor',
    can_see_all: true,
    connections: 57,
    settings: { idle_in_transaction_session_timeout: '0', log_lock_waits: 'off', deadlock_timeout: '1000', max_connections: '100' },
    lock_timeout_default: '0',
    sessions: shape.sessions,
    blocked: shape.blocked.map(([pid, blockers]) => ({ pid, blockers })),
    locks: shape.locks.filter((l) => !l.granted || l.locktype === 'relation' || l.locktype === 'tuple'),
    holders,
    prepared: [],
    ...shape.over,
  };
}

/** Root 1 holds row (0,2) of accounts; 2 holds the tuple lock and waits for 1's transaction; 3..n queue for the tuple. */
export function hotRow(writers = 5): DiagnosisRow {
  const queued = Array.from({ length: writers - 1 }, (_, i) => i + 3);
  return diagnosisRow({
    sessions: [
      sessionRow(1, { state: 'idle in transaction', state_change: ago(422), xact_start: ago(430), query: "UPDATE accounts SET balance = 0 WHERE id = 2" }),
      ...[2, ...queued].map((pid) => sessionRow(pid, { query: `UPDATE accounts SET balance = balance - ${pid} WHERE id = 2`, wait_event_type: 'Lock' })),
    ],
    locks: [
      lock(1, { relation: 500 }, 'RowExclusiveLock', true),
      lock(1, { relation: 502 }, 'RowExclusiveLock', true),
      lock(2, { tuple: [500, 0, 2] }, 'ExclusiveLock', true),
      lock(2, { xid: '100' }, 'ShareLock', false, { waitstart: ago(400) }),
      ...queued.map((pid) => lock(pid, { tuple: [500, 0, 2] }, 'ExclusiveLock', false, { waitstart: ago(300 - pid) })),
    ],
    held: [lock(1, { xid: '100' }, 'ExclusiveLock', true)],
    blocked: [[2, [1]], ...queued.map((pid): [number, number[]] => [pid, [2, ...queued.filter((q) => q < pid)]])],
  });
}

/**
 * Thirty roots, each an advisory lock holder idle in transaction; root r (pid 1000 + 100r) has
 * r + 1 waiters with long, distinct queries, and from r = 20 on also 8 that run the same
 * statement (one group). More than a Slack message holds: 50 blocks, 3,000 characters a section.
 */
export function largeForestRow(): DiagnosisRow {
  const sessions: SessionRow[] = [];
  const locks: LockRow[] = [];
  const blocked: [number, number[]][] = [];
  for (let r = 0; r < 30; r += 1) {
    const root = 1000 + r * 100;
    sessions.push(sessionRow(root, { state: 'idle in transaction', query: `UPDATE t${r} SET v = 1` }));
    const waiters = Array.from({ length: 1 + r + (r >= 20 ? 8 : 0) }, (_, i) => root + 1 + i);
    for (const [i, pid] of waiters.entries()) {
      const query = i <= r ? `UPDATE t${r} SET v = ${i + 1} /* ${'x'.repeat(i + 1)} */ -- w${i + 1}` : `SELECT pg_advisory_xact_lock(${root})`;
      sessions.push(sessionRow(pid, { query }));
      locks.push(lock(pid, { advisory: [0, root, 1] }, 'ExclusiveLock', false));
      blocked.push([pid, [root]]);
    }
    locks.push(lock(root, { advisory: [0, root, 1] }, 'ExclusiveLock', true));
  }
  return diagnosisRow({ sessions, locks: locks.filter((l) => !l.granted), held: locks.filter((l) => l.granted), blocked });
}

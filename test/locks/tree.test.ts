import { describe, expect, it } from 'vitest';
import { buildForest, type Forest, type WaiterNode } from '../../src/locks/tree.js';
import { ago, diagnosisRow, hotRow, lock, NOW, sessionRow } from './fixture.js';

function shape(nodes: WaiterNode[]): unknown[] {
  return nodes.map((n) => ({ pids: n.pids, wait: n.waitText, children: shape(n.children) }));
}

function rootPids(f: Forest): (number | string)[] {
  return f.roots.map((r) => (r.holder.kind === 'session' ? r.holder.session.pid : r.holder.prepared.gid));
}

describe('buildForest', () => {
  it('hot row: root → the writer holding the tuple lock → the queued writers, collapsed, with distinct totals', () => {
    const f = buildForest(hotRow(5));
    expect(rootPids(f)).toEqual([1]);
    const [root] = f.roots;
    expect([root?.blocksDirectly, root?.blocksTotal]).toEqual([1, 5]);
    expect(root?.holds).toEqual([{ relation: { name: 'public.accounts' }, mode: 'RowExclusiveLock' }]);
    expect(shape(root?.children ?? [])).toEqual([
      {
        pids: [2],
        wait: 'row (0,2) of public.accounts, held by the transaction of pid 1',
        children: [{ pids: [3, 4, 5, 6], wait: 'row (0,2) of public.accounts', children: [] }],
      },
    ]);
    expect(f.blockedTotal).toBe(5);
    expect(f.oldestWaitSince).toEqual(new Date(ago(400)));
    expect(f.connections).toEqual({ used: 57, max: 100 });
  });

  it('attributes a wait on a subtransaction id to the session that owns it, not by backend_xid', () => {
    const f = buildForest(
      diagnosisRow({
        sessions: [sessionRow(1, { state: 'idle in transaction' }), sessionRow(2, { query: 'UPDATE accounts SET v = 1' })],
        locks: [lock(2, { xid: '101' }, 'ShareLock', false)],
        held: [lock(1, { xid: '100' }, 'ExclusiveLock', true), lock(1, { xid: '101' }, 'ExclusiveLock', true)],
        blocked: [[2, [1]]],
      }),
    );
    expect(rootPids(f)).toEqual([1]);
    expect(f.roots[0]?.children[0]?.wait).toEqual({ kind: 'transaction', holder: { kind: 'session', pid: 1 }, row: null });
    expect(f.roots[0]?.children[0]?.waitText).toBe('transaction of pid 1');
  });

  it('DDL behind an idle reader: SELECTs queued behind the ALTER hang under it, not under the reader', () => {
    const f = buildForest(
      diagnosisRow({
        sessions: [
          sessionRow(1, { state: 'idle in transaction', query: 'SELECT * FROM orders' }),
          sessionRow(2, { query: 'ALTER TABLE orders ADD COLUMN note text' }),
          sessionRow(3, { query: 'SELECT * FROM orders WHERE id = 1' }),
          sessionRow(4, { query: 'SELECT * FROM orders WHERE id = 2' }),
        ],
        locks: [
          lock(1, { relation: 501 }, 'AccessShareLock', true),
          lock(2, { relation: 501 }, 'AccessExclusiveLock', false),
          lock(3, { relation: 501 }, 'AccessShareLock', false),
          lock(4, { relation: 501 }, 'AccessShareLock', false),
        ],
        blocked: [[2, [1]], [3, [2]], [4, [2]]],
      }),
    );
    expect(rootPids(f)).toEqual([1]);
    expect([f.roots[0]?.blocksDirectly, f.roots[0]?.blocksTotal]).toEqual([1, 3]);
    expect(shape(f.roots[0]?.children ?? [])).toEqual([
      {
        pids: [2],
        wait: 'table public.orders, for ALTER TABLE (AccessExclusiveLock)',
        children: [{ pids: [3, 4], wait: 'table public.orders, for SELECT (AccessShareLock)', children: [] }],
      },
    ]);
    expect(f.suggestions.map((s) => s.setting)).toEqual(['idle_in_transaction_session_timeout', 'lock_timeout', 'log_lock_waits']);
  });

  it('an ALTER behind two readers hangs under the older one and counts for both', () => {
    const f = buildForest(
      diagnosisRow({
        sessions: [
          sessionRow(1, { xact_start: ago(100) }),
          sessionRow(6, { xact_start: ago(500) }),
          sessionRow(2, { query: 'ALTER TABLE orders DROP COLUMN x' }),
          sessionRow(3, { query: 'SELECT 1 FROM orders' }),
        ],
        locks: [
          lock(1, { relation: 501 }, 'AccessShareLock', true),
          lock(6, { relation: 501 }, 'AccessShareLock', true),
          lock(2, { relation: 501 }, 'AccessExclusiveLock', false),
          lock(3, { relation: 501 }, 'AccessShareLock', false),
        ],
        blocked: [[2, [1, 6]], [3, [2]]],
      }),
    );
    expect(rootPids(f)).toEqual([1, 6]);
    const [first, second] = f.roots;
    expect(second?.children[0]?.pids).toEqual([2]);
    expect(second?.children[0]?.alsoWaitsFor).toEqual([{ kind: 'session', pid: 1 }]);
    expect(first?.children).toEqual([]);
    expect([first?.blocksDirectly, first?.blocksTotal, second?.blocksDirectly, second?.blocksTotal]).toEqual([1, 2, 1, 2]);
    expect(f.blockedTotal).toBe(2);
  });

  it('a prepared transaction (pid 0) is a root of its own, named by its gid', () => {
    const f = buildForest(
      diagnosisRow({
        sessions: [sessionRow(7, { query: 'UPDATE accounts SET v = 2 WHERE id = 9' })],
        locks: [lock(null, { relation: 500 }, 'RowExclusiveLock', true), lock(7, { xid: '900' }, 'ShareLock', false)],
        held: [lock(null, { xid: '900' }, 'ExclusiveLock', true)],
        blocked: [[7, [0]]],
        over: { prepared: [{ gid: 'billing-42', xid: '900', prepared: ago(3600), owner: 'app', database: 'app', vxid: '-1/900' }] },
      }),
    );
    expect(rootPids(f)).toEqual(['billing-42']);
    expect(f.roots[0]?.holds).toEqual([{ relation: { name: 'public.accounts' }, mode: 'RowExclusiveLock' }]);
    expect(f.roots[0]?.children[0]?.waitText).toBe('transaction of prepared transaction billing-42');
    expect(f.suggestions.map((s) => s.setting)).toContain('prepared_transactions');
  });

  it('reports a cycle explicitly, with whoever waits behind it', () => {
    const f = buildForest(
      diagnosisRow({
        sessions: [sessionRow(1), sessionRow(2), sessionRow(3)],
        locks: [
          lock(1, { xid: '200' }, 'ShareLock', false),
          lock(2, { xid: '100' }, 'ShareLock', false),
          lock(1, { tuple: [500, 0, 1] }, 'ExclusiveLock', true),
          lock(3, { tuple: [500, 0, 1] }, 'ExclusiveLock', false),
        ],
        held: [lock(1, { xid: '100' }, 'ExclusiveLock', true), lock(2, { xid: '200' }, 'ExclusiveLock', true)],
        blocked: [[1, [2]], [2, [1]], [3, [1]]],
      }),
    );
    expect(f.roots).toEqual([]);
    expect(f.cycles).toHaveLength(1);
    expect(f.cycles[0]?.members.map((m) => m.pids[0]).sort()).toEqual([1, 2]);
    expect(f.cycles[0]?.blocksTotal).toBe(1);
    const one = f.cycles[0]?.members.find((m) => m.pids[0] === 1);
    expect(shape(one?.children ?? [])).toEqual([{ pids: [3], wait: 'row (0,1) of public.accounts', children: [] }]);
  });

  it('names relations of another database by their database only', () => {
    const f = buildForest(
      diagnosisRow({
        sessions: [sessionRow(1), sessionRow(2)],
        locks: [
          lock(1, { relation: 16384 }, 'AccessExclusiveLock', true, { relname: null, reldb: 'warehouse' }),
          lock(2, { relation: 16384 }, 'AccessShareLock', false, { relname: null, reldb: 'warehouse' }),
        ],
        blocked: [[2, [1]]],
      }),
    );
    expect(f.roots[0]?.children[0]?.waitText).toBe('a relation in database warehouse, for SELECT (AccessShareLock)');
    expect(f.roots[0]?.holds).toEqual([{ relation: { oid: 16384, database: 'warehouse' }, mode: 'AccessExclusiveLock' }]);
  });

  it('keeps the strongest mode per table, leaves indexes out, and reads advisory keys', () => {
    const f = buildForest(
      diagnosisRow({
        sessions: [sessionRow(1), sessionRow(2, { query: 'SELECT pg_advisory_lock(4242)' }), sessionRow(3), sessionRow(4)],
        locks: [
          lock(1, { relation: 500 }, 'RowExclusiveLock', true),
          lock(1, { relation: 500 }, 'AccessExclusiveLock', true),
          lock(1, { relation: 502 }, 'AccessExclusiveLock', true),
          lock(2, { advisory: [0, 4242, 1] }, 'ExclusiveLock', false),
          lock(3, { advisory: [1, 5, 1] }, 'ExclusiveLock', false),
          lock(4, { advisory: [7, 8, 2] }, 'ExclusiveLock', false),
        ],
        held: [
          lock(1, { advisory: [0, 4242, 1] }, 'ExclusiveLock', true),
          lock(1, { advisory: [1, 5, 1] }, 'ExclusiveLock', true),
          lock(1, { advisory: [7, 8, 2] }, 'ExclusiveLock', true),
        ],
        blocked: [[2, [1]], [3, [1]], [4, [1]]],
      }),
    );
    expect(f.roots[0]?.holds).toEqual([{ relation: { name: 'public.accounts' }, mode: 'AccessExclusiveLock' }]);
    expect(f.roots[0]?.children.map((c) => c.waitText).sort()).toEqual(['advisory lock (7, 8)', 'advisory lock 4242', 'advisory lock 4294967301']);
  });

  it('does not collapse waiters running different statements', () => {
    const row = hotRow(4);
    const other = row.sessions.find((s) => s.pid === 4);
    if (other) other.query = 'DELETE FROM accounts WHERE id = 2';
    const f = buildForest(row);
    expect(f.roots[0]?.children[0]?.children.map((c) => c.pids)).toEqual([[3, 5], [4]]);
  });

  it('ignores a waiter granted between the two reads, and warns when other roles are invisible', () => {
    const row = hotRow(3);
    row.blocked.push({ pid: 99, blockers: [] });
    row.can_see_all = false;
    const f = buildForest(row);
    expect(f.blockedTotal).toBe(3);
    expect(f.visibilityWarning).toContain('pg_read_all_stats');
    expect(f.visibilityWarning).toContain('GRANT pg_monitor TO firebreak_monitor');
  });

  it('suggests no setting the server already has', () => {
    const row = hotRow(3);
    row.settings = { idle_in_transaction_session_timeout: '60000', log_lock_waits: 'on', deadlock_timeout: '1000', max_connections: '100' };
    expect(buildForest(row).suggestions).toEqual([]);
    expect(buildForest(row).at).toEqual(NOW);
  });
});

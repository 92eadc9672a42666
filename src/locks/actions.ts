import type { Queryable } from '../store/queryable.js';

export type LockAction = 'cancel' | 'terminate';

export type ActionOutcome =
  | { kind: 'done'; action: LockAction; pid: number }
  | { kind: 'refused'; why: string }
  | { kind: 'gone'; pid: number }
  | { kind: 'no-longer-root'; pid: number; why: string };

export type UsergroupMembers = (usergroupId: string) => Promise<string[]>;

/** Whether `userId` is listed under locks.act, directly or through a usergroup expanded now. */
export async function mayAct(userId: string, act: readonly string[], usergroupMembers: UsergroupMembers): Promise<boolean> {
  if (act.includes(userId)) return true;
  for (const id of act) {
    if (id.startsWith('S') && (await usergroupMembers(id)).includes(userId)) return true;
  }
  return false;
}

/**
 * Re-checks and acts in one statement, so nothing can change in between: the pid must still be
 * the backend that was shown (same backend_start: a reused pid is another session), still a root
 * (blocks someone, waits on nobody), a client backend and no superuser, and for a cancel still
 * running a statement. The signal is sent only when every condition holds.
 */
export const ACT_SQL = `
WITH target AS (
  SELECT a.pid, a.backend_type, a.state, coalesce(r.rolsuper, false) AS superuser
  FROM pg_catalog.pg_stat_activity a LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.usesysid
  WHERE a.pid = $1 AND a.backend_start = $2::timestamptz
),
check_ AS (
  SELECT t.pid IS NOT NULL AS found, t.backend_type, t.state, coalesce(t.superuser, false) AS superuser,
         cardinality(pg_catalog.pg_blocking_pids($1)) > 0 AS waiting,
         EXISTS (SELECT 1 FROM (SELECT DISTINCT pid FROM pg_catalog.pg_locks WHERE NOT granted AND pid IS NOT NULL) w
                 WHERE $1 = ANY (pg_catalog.pg_blocking_pids(w.pid))) AS blocking
  FROM (SELECT 1) AS one LEFT JOIN target t ON true
)
SELECT found, backend_type, state, superuser, waiting, blocking,
  CASE WHEN found AND NOT waiting AND blocking AND backend_type = 'client backend' AND NOT superuser
            AND ($3 = 'terminate' OR state = 'active')
       THEN CASE WHEN $3 = 'cancel' THEN pg_catalog.pg_cancel_backend($1) ELSE pg_catalog.pg_terminate_backend($1) END
  END AS signalled
FROM check_
`;

interface CheckRow {
  found: boolean;
  backend_type: string | null;
  state: string | null;
  superuser: boolean;
  waiting: boolean;
  blocking: boolean;
  signalled: boolean | null;
}

export async function actOn(db: Queryable, action: LockAction, pid: number, backendStart: string): Promise<ActionOutcome> {
  if (!Number.isInteger(pid) || pid <= 0) return { kind: 'refused', why: 'a prepared transaction has no session to end: use COMMIT PREPARED or ROLLBACK PREPARED' };
  let row: CheckRow;
  try {
    const result = await db.query<CheckRow>(ACT_SQL, [pid, backendStart, action]);
    row = result.rows[0] as CheckRow;
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    if (code === '42501') {
      return { kind: 'refused', why: 'the monitoring role may not signal that session: it needs GRANT pg_signal_backend' };
    }
    throw error;
  }
  if (!row.found) return { kind: 'gone', pid };
  if (row.backend_type !== 'client backend') {
    return { kind: 'refused', why: `pid ${pid} is a ${row.backend_type ?? 'server process'}, not a client session: Firebreak never signals it` };
  }
  if (row.superuser) return { kind: 'refused', why: `pid ${pid} belongs to a superuser: Firebreak never signals it` };
  if (row.waiting) return { kind: 'no-longer-root', pid, why: `pid ${pid} now waits for another session itself` };
  if (!row.blocking) return { kind: 'no-longer-root', pid, why: `pid ${pid} no longer blocks anyone` };
  if (action === 'cancel' && row.state !== 'active') {
    return {
      kind: 'refused',
      why: `pid ${pid} is ${row.state ?? 'not running a statement'}: cancelling frees nothing, only terminating ends its transaction`,
    };
  }
  return row.signalled ? { kind: 'done', action, pid } : { kind: 'gone', pid };
}

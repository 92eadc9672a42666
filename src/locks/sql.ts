/**
 * The one statement a diagnosis runs. It reads pg_stat_activity once and pg_locks at most once
 * (materialised: every read of pg_locks takes all lock-partition locks; not at all when nobody
 * waits), calls
 * pg_blocking_pids only for the sessions that wait for a lock, never in a join over every row,
 * and keeps only the locks of those sessions and their blockers (with 15,000 locks held
 * elsewhere, building rows for all of them would cost more than reading them).
 * Relations are named through pg_class/pg_namespace joins, which take no lock on the relation
 * (a ::regclass cast or pg_relation_size would queue behind an ACCESS EXCLUSIVE holder), and
 * only when the lock's database is this one (or a shared catalog): an oid of another database
 * names nothing here.
 */
export const DIAGNOSE_SQL = `
WITH act AS MATERIALIZED (
  SELECT a.pid, a.usename, a.application_name, host(a.client_addr) AS client_addr, a.backend_type, a.state,
         a.state_change, a.xact_start, a.query_start, a.backend_start, a.wait_event_type, a.wait_event, a.query,
         a.datname, a.usesysid
  FROM pg_catalog.pg_stat_activity a
),
blocked AS MATERIALIZED (
  SELECT pid, blockers FROM (
    SELECT pid, pg_catalog.pg_blocking_pids(pid) AS blockers FROM act
    -- Without pg_read_all_stats other roles' wait events are hidden: ask for each of those too.
    WHERE wait_event_type = 'Lock' OR query = '<insufficient privilege>'
  ) b
  WHERE cardinality(blockers) > 0
),
involved AS MATERIALIZED (
  SELECT pid FROM blocked UNION SELECT b FROM blocked, unnest(blockers) AS b WHERE b <> 0
),
l AS MATERIALIZED (
  SELECT locktype, database, relation, page, tuple, virtualxid, transactionid::text AS transactionid,
         classid, objid, objsubid, virtualtransaction, pid, mode, granted, waitstart,
         concat_ws(':', locktype, database, relation, page, tuple, virtualxid, transactionid, classid, objid, objsubid) AS target
  FROM pg_catalog.pg_locks
  -- Nobody waits: pg_locks is not read at all (a one-time filter; reading it is most of the cost).
  -- Everyone a waiter can be waiting for is among its blockers (pid 0: a prepared transaction).
  WHERE EXISTS (SELECT 1 FROM blocked) AND (pid IN (SELECT pid FROM involved) OR pid IS NULL)
),
here AS (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()),
waiting AS MATERIALIZED (SELECT * FROM l WHERE NOT granted AND pid IS NOT NULL),
named AS (
  SELECT x.*, CASE WHEN c.oid IS NOT NULL THEN format('%I.%I', n.nspname, c.relname) END AS relname, c.relkind::text AS relkind,
         d.datname AS reldb
  FROM (
    SELECT target, locktype, database, relation, page, tuple, virtualxid, transactionid, classid, objid, objsubid,
           pid, mode, granted, virtualtransaction, waitstart
    FROM l
    WHERE (NOT granted AND pid IS NOT NULL) OR (granted AND locktype IN ('relation', 'tuple'))
  ) x
  LEFT JOIN pg_catalog.pg_class c ON c.oid = x.relation AND (x.database = 0 OR x.database = (SELECT oid FROM here))
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_database d ON d.oid = x.database
),
prepared AS (
  SELECT p.gid, p.transaction::text AS xid, p.prepared, p.owner, p.database, t.virtualtransaction
  FROM pg_catalog.pg_prepared_xacts p
  LEFT JOIN l t ON t.locktype = 'transactionid' AND t.pid IS NULL AND t.granted AND t.transactionid = p.transaction::text
)
SELECT
  now() AS now,
  pg_catalog.current_database() AS database,
  current_user AS "user",
  (pg_catalog.pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')
    OR coalesce((SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user), false)) AS can_see_all,
  (SELECT count(*) FROM act WHERE backend_type = 'client backend')::int AS connections,
  (SELECT json_object_agg(name, setting) FROM pg_catalog.pg_settings
    WHERE name IN ('idle_in_transaction_session_timeout', 'log_lock_waits', 'deadlock_timeout', 'max_connections'))
    AS settings,
  pg_catalog.current_setting('firebreak.lock_timeout_default', true) AS lock_timeout_default,
  (SELECT coalesce(json_agg(json_build_object(
      'pid', a.pid, 'usename', a.usename, 'application_name', a.application_name, 'client_addr', a.client_addr,
      'backend_type', a.backend_type, 'state', a.state, 'state_change', a.state_change, 'xact_start', a.xact_start,
      'query_start', a.query_start, 'backend_start', a.backend_start, 'wait_event_type', a.wait_event_type,
      'wait_event', a.wait_event, 'query', a.query, 'datname', a.datname, 'superuser', coalesce(r.rolsuper, false))), '[]')
    FROM act a LEFT JOIN pg_catalog.pg_roles r ON r.oid = a.usesysid
    WHERE a.pid IN (SELECT pid FROM involved)) AS sessions,
  (SELECT coalesce(json_agg(json_build_object('pid', pid, 'blockers', blockers)), '[]') FROM blocked) AS blocked,
  (SELECT coalesce(json_agg(json_build_object(
      'target', target, 'locktype', locktype, 'database', database, 'relation', relation, 'relname', relname, 'relkind', relkind,
      'reldb', reldb, 'page', page, 'tuple', tuple, 'virtualxid', virtualxid, 'transactionid', transactionid,
      'classid', classid, 'objid', objid, 'objsubid', objsubid, 'pid', pid, 'mode', mode, 'granted', granted,
      'vxid', virtualtransaction, 'waitstart', waitstart)), '[]') FROM named) AS locks,
  (SELECT coalesce(json_agg(json_build_object('target', g.target, 'pid', g.pid, 'mode', g.mode, 'vxid', g.virtualtransaction)), '[]')
    FROM l g WHERE g.granted AND g.target IN (SELECT target FROM waiting)) AS holders,
  (SELECT coalesce(json_agg(json_build_object(
      'gid', gid, 'xid', xid, 'prepared', prepared, 'owner', owner, 'database', database, 'vxid', virtualtransaction)), '[]')
    FROM prepared) AS prepared
`;

/**
 * Run once per connection before its first diagnosis: remembers the server's lock_timeout (what
 * other sessions get, for the "would have prevented it" hints) before setting our own short one.
 */
export function connectionSetupSql(lockTimeoutMs: number): string {
  return `SELECT pg_catalog.set_config('firebreak.lock_timeout_default', setting, false) FROM pg_catalog.pg_settings WHERE name = 'lock_timeout'; SET lock_timeout = ${Math.trunc(lockTimeoutMs)}`;
}

export interface SessionRow {
  pid: number;
  usename: string | null;
  application_name: string | null;
  client_addr: string | null;
  backend_type: string | null;
  state: string | null;
  state_change: string | null;
  xact_start: string | null;
  query_start: string | null;
  backend_start: string | null;
  wait_event_type: string | null;
  wait_event: string | null;
  query: string | null;
  datname: string | null;
  superuser: boolean;
}

export interface LockRow {
  target: string;
  locktype: string;
  database: number | null;
  relation: number | null;
  /** Qualified name, only when the relation is in this database (or a shared catalog). */
  relname: string | null;
  /** pg_class.relkind when named: 'r' table, 'i' index, 'p' partitioned table… */
  relkind: string | null;
  /** Name of the lock's database. */
  reldb: string | null;
  page: number | null;
  tuple: number | null;
  virtualxid: string | null;
  transactionid: string | null;
  classid: number | null;
  objid: number | null;
  objsubid: number | null;
  /** null for a prepared transaction's lock. */
  pid: number | null;
  mode: string;
  granted: boolean;
  vxid: string;
  /** When an ungranted lock started waiting (PostgreSQL 14+). */
  waitstart: string | null;
}

export interface HolderRow {
  target: string;
  pid: number | null;
  mode: string;
  vxid: string;
}

export interface PreparedRow {
  gid: string;
  xid: string;
  prepared: string;
  owner: string | null;
  database: string | null;
  vxid: string | null;
}

/** The statement's one row, as node-postgres returns it (json columns already parsed). */
export interface DiagnosisRow {
  now: Date;
  database: string;
  user: string;
  can_see_all: boolean;
  connections: number;
  settings: Record<string, string>;
  lock_timeout_default: string | null;
  sessions: SessionRow[];
  blocked: { pid: number; blockers: number[] }[];
  /** Ungranted locks of waiters; granted relation and tuple locks of involved sessions and prepared transactions. */
  locks: LockRow[];
  /** Granted locks on the targets someone waits for. */
  holders: HolderRow[];
  prepared: PreparedRow[];
}

import { queryFingerprint } from './redact.js';
import type { DiagnosisRow, LockRow, SessionRow } from './sql.js';

/**
 * Builds the forest of blocking trees from the rows of the diagnostic statement. Pure.
 *
 * Who a waiter hangs under: pg_blocking_pids lists both the sessions holding a conflicting lock
 * on what it waits for ("hard") and those merely queued ahead of it ("soft"). On a hot row the
 * first writer holds the tuple lock and waits for the row's transaction; the others wait for the
 * tuple lock, and their list names the first writer and each other. Each waiter therefore hangs
 * under a holder of the very lock it waits for when there is one (the tuple-lock holder, the
 * owner of a (sub)transaction id, a reader holding the table), and only otherwise under the
 * session queued ahead of it (SELECTs queued behind a waiting ALTER TABLE). The tree keeps the
 * real nesting, root → first writer → queued writers, and every count is of distinct sessions.
 */

export type HolderRef = { kind: 'session'; pid: number } | { kind: 'prepared'; gid: string };

export interface Session {
  pid: number;
  user: string | null;
  application: string | null;
  clientAddr: string | null;
  backendType: string | null;
  state: string | null;
  stateSince: Date | null;
  xactStart: Date | null;
  queryStart: Date | null;
  /** As PostgreSQL printed it (microseconds): the button's proof that the pid is the same backend. */
  backendStart: string | null;
  waitEventType: string | null;
  waitEvent: string | null;
  query: string | null;
  database: string | null;
  superuser: boolean;
}

export interface PreparedTransaction {
  gid: string;
  xid: string;
  preparedAt: Date;
  owner: string | null;
  database: string | null;
}

/** A relation named only when it lives in the inspected database; an oid elsewhere names nothing here. */
export type RelationRef = { name: string } | { oid: number; database: string | null };

export type WaitTarget =
  | { kind: 'row'; relation: RelationRef; page: number; tuple: number }
  | { kind: 'relation'; relation: RelationRef }
  | { kind: 'transaction'; holder: HolderRef | null; row: { relation: RelationRef; page: number; tuple: number } | null }
  | { kind: 'virtualxid'; holder: HolderRef | null }
  | { kind: 'advisory'; key: string }
  | { kind: 'other'; locktype: string };

export interface WaiterNode {
  /** One session, or the first of identical waiters (same statement shape, same wait). */
  session: Session;
  pids: number[];
  mode: string;
  wait: WaitTarget;
  waitText: string;
  since: Date | null;
  /** Other sessions it waits for besides its parent (several readers ahead of an ALTER, say). */
  alsoWaitsFor: HolderRef[];
  children: WaiterNode[];
  /** Distinct sessions under it. */
  blocksTotal: number;
}

export interface HeldRelation {
  relation: RelationRef;
  /** The strongest mode it holds on that relation. */
  mode: string;
}

export type RootHolder = { kind: 'session'; session: Session } | { kind: 'prepared'; prepared: PreparedTransaction };

export interface RootNode {
  holder: RootHolder;
  holds: HeldRelation[];
  blocksDirectly: number;
  blocksTotal: number;
  children: WaiterNode[];
}

/** Sessions waiting for each other: a deadlock, until the detector runs after deadlock_timeout. */
export interface CycleNode {
  members: WaiterNode[];
  blocksTotal: number;
}

export interface Suggestion {
  setting: 'idle_in_transaction_session_timeout' | 'lock_timeout' | 'log_lock_waits' | 'prepared_transactions';
  text: string;
}

export interface Forest {
  database: string;
  at: Date;
  roots: RootNode[];
  cycles: CycleNode[];
  blockedTotal: number;
  oldestWaitSince: Date | null;
  connections: { used: number; max: number | null };
  deadlockTimeoutMs: number | null;
  suggestions: Suggestion[];
  /** Set when this role cannot see other roles' sessions: the picture may lack names and queries. */
  visibilityWarning: string | null;
}

const MODE_STRENGTH = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
];

export function strongerMode(a: string, b: string): string {
  return MODE_STRENGTH.indexOf(b) > MODE_STRENGTH.indexOf(a) ? b : a;
}

function date(text: string | null): Date | null {
  return text === null ? null : new Date(text);
}

function toSession(row: SessionRow): Session {
  return {
    pid: row.pid,
    user: row.usename,
    application: row.application_name,
    clientAddr: row.client_addr,
    backendType: row.backend_type,
    state: row.state,
    stateSince: date(row.state_change),
    xactStart: date(row.xact_start),
    queryStart: date(row.query_start),
    backendStart: row.backend_start,
    waitEventType: row.wait_event_type,
    waitEvent: row.wait_event,
    query: row.query,
    database: row.datname,
    superuser: row.superuser,
  };
}

function unknownSession(pid: number): Session {
  return {
    pid,
    user: null,
    application: null,
    clientAddr: null,
    backendType: null,
    state: null,
    stateSince: null,
    xactStart: null,
    queryStart: null,
    backendStart: null,
    waitEventType: null,
    waitEvent: null,
    query: null,
    database: null,
    superuser: false,
  };
}

function relationOf(lock: LockRow): RelationRef {
  if (lock.relname !== null) return { name: lock.relname };
  return { oid: lock.relation ?? 0, database: lock.reldb };
}

export function describeRelation(relation: RelationRef): string {
  if ('name' in relation) return relation.name;
  return relation.database === null
    ? `relation ${relation.oid} (not in this database)`
    : `a relation in database ${relation.database}`;
}

function describeHolder(holder: HolderRef | null): string {
  if (holder === null) return 'a transaction that has just ended';
  return holder.kind === 'session' ? `pid ${holder.pid}` : `prepared transaction ${holder.gid}`;
}

/** What an ALTER TABLE or CREATE INDEX is, from the first words of the statement, for "table t, for ALTER TABLE". */
function commandOf(query: string | null): string | null {
  if (query === null || query.startsWith('<')) return null;
  const words = query
    .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ')
    .trim()
    .split(/\s+/)
    .slice(0, 3)
    .map((w) => w.toUpperCase().replace(/[^A-Z]/g, ''));
  const [first = '', second = '', third = ''] = words;
  if (['ALTER', 'DROP', 'CREATE', 'TRUNCATE'].includes(first)) {
    if (second === 'UNIQUE' || second === 'MATERIALIZED') return `${first} ${second} ${third}`.trim();
    return `${first} ${second}`.trim();
  }
  if (first === 'VACUUM' && second === 'FULL') return 'VACUUM FULL';
  return first || null;
}

export function describeWait(wait: WaitTarget, mode: string, command: string | null): string {
  switch (wait.kind) {
    case 'row':
      return `row (${wait.page},${wait.tuple}) of ${describeRelation(wait.relation)}`;
    case 'relation':
      return `${'name' in wait.relation ? 'table ' : ''}${describeRelation(wait.relation)}, for ${command ?? mode} (${mode})`;
    case 'transaction': {
      const holder = `transaction of ${describeHolder(wait.holder)}`;
      return wait.row === null
        ? holder
        : `row (${wait.row.page},${wait.row.tuple}) of ${describeRelation(wait.row.relation)}, held by the ${holder}`;
    }
    case 'virtualxid':
      return `the end of the transaction of ${describeHolder(wait.holder)}`;
    case 'advisory':
      return `advisory lock ${wait.key}`;
    case 'other':
      return `a ${wait.locktype} lock`;
  }
}

function advisoryKey(lock: LockRow): string {
  const classid = lock.classid ?? 0;
  const objid = lock.objid ?? 0;
  // objsubid 1: one bigint key split in two 32-bit halves; 2: two int4 keys.
  if (lock.objsubid === 2) return `(${classid | 0}, ${objid | 0})`;
  return BigInt.asIntN(64, (BigInt(classid) << 32n) | BigInt(objid)).toString();
}

function sameRef(a: HolderRef, b: HolderRef): boolean {
  return a.kind === 'session' ? b.kind === 'session' && a.pid === b.pid : b.kind === 'prepared' && a.gid === b.gid;
}

function refKey(ref: HolderRef): string {
  return ref.kind === 'session' ? `pid:${ref.pid}` : `gid:${ref.gid}`;
}

interface Waiter {
  pid: number;
  session: Session;
  lock: LockRow;
  /** Who it really waits behind, best first. */
  behind: HolderRef[];
  wait: WaitTarget;
  waitText: string;
  fingerprint: string;
}

function millis(setting: string | undefined | null): number | null {
  if (setting === undefined || setting === null || setting === '') return null;
  const value = Number(setting);
  return Number.isFinite(value) ? value : null;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

export function buildForest(row: DiagnosisRow): Forest {
  const sessions = new Map(row.sessions.map((s) => [s.pid, toSession(s)]));
  const session = (pid: number) => sessions.get(pid) ?? unknownSession(pid);
  const preparedByVxid = new Map<string, PreparedTransaction>();
  const preparedByXid = new Map<string, PreparedTransaction>();
  const preparedByGid = new Map<string, PreparedTransaction>();
  for (const p of row.prepared) {
    const prepared = { gid: p.gid, xid: p.xid, preparedAt: new Date(p.prepared), owner: p.owner, database: p.database };
    preparedByXid.set(p.xid, prepared);
    preparedByGid.set(p.gid, prepared);
    if (p.vxid !== null) preparedByVxid.set(p.vxid, prepared);
  }
  const holderRef = (pid: number | null, vxid: string): HolderRef | null => {
    if (pid !== null && pid !== 0) return { kind: 'session', pid };
    const prepared = preparedByVxid.get(vxid);
    return prepared ? { kind: 'prepared', gid: prepared.gid } : null;
  };

  const holdersByTarget = new Map<string, HolderRef[]>();
  for (const h of row.holders) {
    const ref = holderRef(h.pid, h.vxid);
    if (ref === null) continue;
    const list = holdersByTarget.get(h.target) ?? [];
    if (!list.some((r) => sameRef(r, ref))) list.push(ref);
    holdersByTarget.set(h.target, list);
  }
  const wanted = new Map<number, LockRow>();
  const tupleHeld = new Map<number, LockRow>();
  const relationLocks = new Map<string, Map<string, HeldRelation>>();
  for (const lock of row.locks) {
    if (!lock.granted && lock.pid !== null) {
      wanted.set(lock.pid, lock);
      continue;
    }
    if (lock.locktype === 'tuple' && lock.pid !== null) tupleHeld.set(lock.pid, lock);
    // Every statement also locks the indexes it uses; the tables say what matters.
    if (lock.locktype !== 'relation' || lock.relkind === 'i' || lock.relkind === 'I') continue;
    const ref = holderRef(lock.pid, lock.vxid);
    if (ref === null) continue;
    const relation = relationOf(lock);
    const held = relationLocks.get(refKey(ref)) ?? new Map<string, HeldRelation>();
    const key = describeRelation(relation) + (lock.relation ?? '');
    const before = held.get(key);
    held.set(key, { relation, mode: before ? strongerMode(before.mode, lock.mode) : lock.mode });
    relationLocks.set(refKey(ref), held);
  }

  const waiters = new Map<number, Waiter>();
  for (const b of row.blocked) {
    const lock = wanted.get(b.pid);
    const blockers = [...new Set(b.blockers)];
    if (lock === undefined || blockers.length === 0) continue; // granted in between: no longer waiting
    const holders = holdersByTarget.get(lock.target) ?? [];
    const hard = holders.filter((h) => (h.kind === 'session' ? blockers.includes(h.pid) : blockers.includes(0)));
    const soft: HolderRef[] = blockers
      .filter((pid) => pid !== 0 && !hard.some((h) => h.kind === 'session' && h.pid === pid))
      .map((pid) => ({ kind: 'session', pid }));
    // Several holders (readers ahead of an ALTER): the oldest transaction first.
    const age = (ref: HolderRef) =>
      ref.kind === 'prepared'
        ? (preparedByGid.get(ref.gid)?.preparedAt.getTime() ?? 0)
        : (session(ref.pid).xactStart?.getTime() ?? Number.MAX_SAFE_INTEGER);
    const byAge = (a: HolderRef, c: HolderRef) => age(a) - age(c) || refKey(a).localeCompare(refKey(c));
    const behind = hard.length > 0 ? [...hard].sort(byAge) : soft.sort(byAge);
    const s = session(b.pid);
    const wait = waitTarget(lock, behind, tupleHeld.get(b.pid) ?? null, preparedByXid);
    waiters.set(b.pid, {
      pid: b.pid,
      session: s,
      lock,
      behind,
      wait,
      waitText: describeWait(wait, lock.mode, commandOf(s.query)),
      fingerprint: queryFingerprint(s.query),
    });
  }

  // The tree: each waiter under the first of those it waits behind.
  const parentOf = (w: Waiter): HolderRef | undefined => w.behind[0];
  const childrenOf = new Map<string, Waiter[]>();
  for (const w of waiters.values()) {
    const parent = parentOf(w);
    if (parent === undefined) continue;
    const list = childrenOf.get(refKey(parent)) ?? [];
    list.push(w);
    childrenOf.set(refKey(parent), list);
  }

  // Counts follow every "waits behind" edge, so a reader ahead of an ALTER counts its queue too.
  const waitsBehind = new Map<string, Set<number>>();
  for (const w of waiters.values()) {
    for (const ref of w.behind) {
      const set = waitsBehind.get(refKey(ref)) ?? new Set<number>();
      set.add(w.pid);
      waitsBehind.set(refKey(ref), set);
    }
  }
  const reach = (ref: HolderRef): Set<number> => {
    const seen = new Set<number>();
    const stack = [...(waitsBehind.get(refKey(ref)) ?? [])];
    while (stack.length > 0) {
      const pid = stack.pop() as number;
      if (seen.has(pid)) continue;
      seen.add(pid);
      stack.push(...(waitsBehind.get(`pid:${pid}`) ?? []));
    }
    return seen;
  };

  const node = (w: Waiter, onPath: Set<string>): WaiterNode => {
    const key = `pid:${w.pid}`;
    const path = new Set(onPath).add(key);
    const children = (childrenOf.get(key) ?? []).filter((c) => !path.has(`pid:${c.pid}`));
    return {
      session: w.session,
      pids: [w.pid],
      mode: w.lock.mode,
      wait: w.wait,
      waitText: w.waitText,
      since: date(w.lock.waitstart) ?? w.session.stateSince,
      alsoWaitsFor: w.behind.slice(1),
      children: collapse(children.map((c) => ({ waiter: c, node: node(c, path) }))),
      blocksTotal: reach({ kind: 'session', pid: w.pid }).size,
    };
  };

  const roots: RootNode[] = [];
  const rootRefs = new Map<string, HolderRef>();
  for (const w of waiters.values()) {
    for (const ref of w.behind) {
      if (ref.kind === 'session' && waiters.has(ref.pid)) continue;
      rootRefs.set(refKey(ref), ref);
    }
  }
  for (const ref of rootRefs.values()) {
    const holder: RootHolder =
      ref.kind === 'session'
        ? { kind: 'session', session: session(ref.pid) }
        : { kind: 'prepared', prepared: preparedByGid.get(ref.gid) as PreparedTransaction };
    const children = (childrenOf.get(refKey(ref)) ?? []).map((c) => ({ waiter: c, node: node(c, new Set([refKey(ref)])) }));
    roots.push({
      holder,
      holds: [...(relationLocks.get(refKey(ref))?.values() ?? [])].sort(
        (a, b) => MODE_STRENGTH.indexOf(b.mode) - MODE_STRENGTH.indexOf(a.mode),
      ),
      blocksDirectly: waitsBehind.get(refKey(ref))?.size ?? 0,
      blocksTotal: reach(ref).size,
      children: collapse(children),
    });
  }
  roots.sort((a, b) => b.blocksTotal - a.blocksTotal || rootOrder(a) - rootOrder(b));

  // Waiters whose parent chain never reaches a root wait in a cycle.
  const reachesRoot = new Map<number, boolean>();
  const settle = (pid: number, path: Set<number>): boolean => {
    const known = reachesRoot.get(pid);
    if (known !== undefined) return known;
    const w = waiters.get(pid);
    const parent = w === undefined ? undefined : parentOf(w);
    let result = true;
    if (parent !== undefined && parent.kind === 'session' && waiters.has(parent.pid)) {
      result = path.has(parent.pid) ? false : settle(parent.pid, new Set(path).add(pid));
    }
    reachesRoot.set(pid, result);
    return result;
  };
  for (const pid of waiters.keys()) settle(pid, new Set());
  const cycles: CycleNode[] = [];
  const inCycle = new Set<number>();
  for (const start of waiters.keys()) {
    if (reachesRoot.get(start) || inCycle.has(start)) continue;
    // Walk up until a pid repeats: the repeated stretch is the cycle.
    const order: number[] = [];
    let pid: number | undefined = start;
    while (pid !== undefined && !order.includes(pid)) {
      order.push(pid);
      const parent: HolderRef | undefined = parentOf(waiters.get(pid) as Waiter);
      pid = parent?.kind === 'session' && waiters.has(parent.pid) ? parent.pid : undefined;
    }
    if (pid === undefined || inCycle.has(pid)) continue;
    const members = order.slice(order.indexOf(pid));
    members.forEach((m) => inCycle.add(m));
    const memberKeys = new Set(members.map((m) => `pid:${m}`));
    const all = new Set<number>();
    for (const m of members) for (const p of reach({ kind: 'session', pid: m })) if (!members.includes(p)) all.add(p);
    cycles.push({ members: members.map((m) => node(waiters.get(m) as Waiter, memberKeys)), blocksTotal: all.size });
  }

  const since = [...waiters.values()].map((w) => date(w.lock.waitstart) ?? w.session.stateSince).filter((d): d is Date => d !== null);
  const settings = row.settings;
  const visibilityWarning = row.can_see_all
    ? null
    : `role ${row.user} cannot see other roles' sessions (it lacks pg_read_all_stats): their user, state and query are hidden. GRANT pg_monitor TO ${row.user}; shows them.`;
  return {
    database: row.database,
    at: row.now,
    roots,
    cycles,
    blockedTotal: waiters.size,
    oldestWaitSince: since.length > 0 ? new Date(Math.min(...since.map((d) => d.getTime()))) : null,
    connections: { used: row.connections, max: millis(settings['max_connections']) },
    deadlockTimeoutMs: millis(settings['deadlock_timeout']),
    suggestions: suggestionsFor(roots, [...waiters.values()], row),
    visibilityWarning,
  };

  function collapse(list: { waiter: Waiter; node: WaiterNode }[]): WaiterNode[] {
    const out: WaiterNode[] = [];
    const groups = new Map<string, WaiterNode>();
    for (const { waiter, node: n } of list.sort((a, b) => (a.node.since?.getTime() ?? 0) - (b.node.since?.getTime() ?? 0))) {
      if (n.children.length > 0 || n.alsoWaitsFor.length > 0) {
        out.push(n);
        continue;
      }
      const key = `${waiter.fingerprint}\u0000${waiter.waitText}\u0000${waiter.lock.mode}\u0000${waiter.session.user}`;
      const group = groups.get(key);
      if (group) group.pids.push(waiter.pid);
      else {
        groups.set(key, n);
        out.push(n);
      }
    }
    return out.sort((a, b) => b.blocksTotal - a.blocksTotal || b.pids.length - a.pids.length);
  }
}

function rootOrder(root: RootNode): number {
  return root.holder.kind === 'session' ? root.holder.session.pid : 0;
}

function waitTarget(
  lock: LockRow,
  behind: HolderRef[],
  tupleHeld: LockRow | null,
  preparedByXid: Map<string, PreparedTransaction>,
): WaitTarget {
  switch (lock.locktype) {
    case 'tuple':
      return { kind: 'row', relation: relationOf(lock), page: lock.page ?? 0, tuple: lock.tuple ?? 0 };
    case 'relation':
      return { kind: 'relation', relation: relationOf(lock) };
    case 'transactionid': {
      const prepared = lock.transactionid === null ? undefined : preparedByXid.get(lock.transactionid);
      const holder: HolderRef | null = prepared ? { kind: 'prepared', gid: prepared.gid } : (behind[0] ?? null);
      const row = tupleHeld
        ? { relation: relationOf(tupleHeld), page: tupleHeld.page ?? 0, tuple: tupleHeld.tuple ?? 0 }
        : null;
      return { kind: 'transaction', holder, row };
    }
    case 'virtualxid':
      return { kind: 'virtualxid', holder: behind[0] ?? null };
    case 'advisory':
      return { kind: 'advisory', key: advisoryKey(lock) };
    default:
      return { kind: 'other', locktype: lock.locktype };
  }
}

function suggestionsFor(roots: RootNode[], waiters: Waiter[], row: DiagnosisRow): Suggestion[] {
  const out: Suggestion[] = [];
  const settings = row.settings;
  const idleRoots = roots.filter((r) => r.holder.kind === 'session' && r.holder.session.state?.startsWith('idle in transaction'));
  if (idleRoots.length > 0 && settings['idle_in_transaction_session_timeout'] === '0') {
    out.push({
      setting: 'idle_in_transaction_session_timeout',
      text: 'idle_in_transaction_session_timeout is 0: a session left idle in transaction keeps its locks forever. A value such as 60s would have ended it.',
    });
  }
  const ddlQueue = waiters.some(
    (w) => w.lock.locktype === 'relation' && w.lock.mode === 'AccessExclusiveLock' && waiters.some((o) => o.behind[0]?.kind === 'session' && o.behind[0].pid === w.pid),
  );
  if (ddlQueue && row.lock_timeout_default === '0') {
    out.push({
      setting: 'lock_timeout',
      text: "lock_timeout is 0: a DDL statement waiting for its lock queues every later query on the table behind it. Run DDL with SET lock_timeout = '2s' and retry.",
    });
  }
  if (waiters.length > 0 && settings['log_lock_waits'] === 'off') {
    const after = millis(settings['deadlock_timeout']);
    out.push({
      setting: 'log_lock_waits',
      text: `log_lock_waits is off: waits longer than deadlock_timeout${after === null ? '' : ` (${formatMs(after)})`} are not logged. Turning it on leaves evidence in the server log.`,
    });
  }
  if (roots.some((r) => r.holder.kind === 'prepared')) {
    out.push({
      setting: 'prepared_transactions',
      text: "A prepared transaction holds the locks: only COMMIT PREPARED or ROLLBACK PREPARED '<gid>' ends it, not terminating a session.",
    });
  }
  return out;
}

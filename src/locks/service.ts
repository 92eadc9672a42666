import { UserError } from '../common/context.js';
import { actOn, mayAct, type ActionOutcome, type LockAction, type UsergroupMembers } from './actions.js';
import { createLocksPool, diagnose, type Diagnosis, type LocksPool } from './diagnose.js';
import { renderDiagnosis, snapshotSummary, type LockButtonValue, type LocksSnapshot, type RenderedLocks } from './render.js';
import type { LocksSettings } from './settings.js';
import { LOCKS_USAGE } from './command.js';

export interface LocksInspection {
  /** The configured name of the database inspected. */
  database: string;
  diagnosis: Diagnosis;
  rendered: RenderedLocks;
  /** The evidence to store as a timeline event; null when the diagnosis could not run. */
  snapshot: LocksSnapshot | null;
}



/** Reads a button's value back; null for anything Firebreak did not put there. */
export function parseLockButton(value: string): LockButtonValue | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { db, pid, backendStart } = parsed as Record<string, unknown>;
  if (typeof db !== 'string' || typeof pid !== 'number' || !Number.isInteger(pid) || typeof backendStart !== 'string') return null;
  if (Number.isNaN(Date.parse(backendStart))) return null;
  return { db, pid, backendStart };
}

/** /locks: inspect a configured database, and cancel or terminate a root blocker for those allowed. */
export class LocksService {
  constructor(
    private readonly settings: LocksSettings,
    private readonly pools: ReadonlyMap<string, LocksPool>,
    private readonly usergroupMembers: UsergroupMembers,
  ) {}

  static create(settings: LocksSettings, usergroupMembers: UsergroupMembers): LocksService {
    const pools = new Map(settings.databases.map((db) => [db.name, createLocksPool(db, settings.statementTimeoutMs)]));
    return new LocksService(settings, pools, usergroupMembers);
  }

  databaseNames(): string[] {
    return this.settings.databases.map((db) => db.name);
  }

  /** The configured name `name` refers to (the default when absent); a UserError listing them otherwise. */
  resolve(name: string | undefined): string {
    return this.target(name).database.name;
  }

  private target(name: string | undefined): LocksPool {
    const names = this.databaseNames();
    if (names.length === 0) {
      throw new UserError('No database is configured for /locks: add one under locks.databases in firebreak.yml.');
    }
    const chosen = name ?? (names[0] as string);
    const pool = this.pools.get(chosen);
    if (pool === undefined) {
      throw new UserError(`There is no database "${chosen}" for /locks. Configured: ${names.join(', ')}.`, LOCKS_USAGE);
    }
    return pool;
  }

  async inspect(name?: string): Promise<LocksInspection> {
    const target = this.target(name);
    const database = target.database.name;
    const diagnosis = await diagnose(target);
    return {
      database,
      diagnosis,
      rendered: renderDiagnosis(diagnosis, database, this.settings.showQuery),
      snapshot: diagnosis.kind === 'ok' ? snapshotSummary(diagnosis.forest, database, this.settings.showQuery) : null,
    };
  }

  /** Authorises at click time (usergroups expanded now), then re-checks and acts in one statement. */
  async act(userId: string, action: LockAction, pid: number, backendStart: string, name: string): Promise<ActionOutcome> {
    if (!(await mayAct(userId, this.settings.act, this.usergroupMembers))) {
      const verb = action === 'cancel' ? 'cancel a query' : 'terminate a session';
      return { kind: 'refused', why: `Only the people listed under locks.act may ${verb}; nothing was changed.` };
    }
    return actOn(this.target(name).pool, action, pid, backendStart);
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.pool.end()));
  }
}

import type { Queryable } from '../store/queryable.js';
import type { PolicySnapshot, Step } from './policy.js';

export type EscalationState = 'active' | 'acked' | 'stopped' | 'done';

export interface Escalation {
  incidentId: number;
  policy: string;
  snapshot: PolicySnapshot;
  startedAt: Date;
  generation: number;
  state: EscalationState;
  next: (Step & { dueAt: Date }) | null;
  ackedBy: string | null;
  ackedAt: Date | null;
  manualPages: number;
}

export type PageRow = NewPage & { id: number };

interface EscalationRecord {
  incident_id: string;
  policy: string;
  snapshot: PolicySnapshot;
  started_at: Date;
  generation: number;
  state: EscalationState;
  next_loop: number | null;
  next_tier: number | null;
  next_due_at: Date | null;
  acked_by: string | null;
  acked_at: Date | null;
  manual_pages: number;
}

interface PageRecord {
  id: string;
  incident_id: string;
  generation: number;
  loop: number;
  tier: number;
  user_id: string;
  due_at: Date;
  lateness_ms: string;
}

function toEscalation(r: EscalationRecord): Escalation {
  const next =
    r.next_loop !== null && r.next_tier !== null && r.next_due_at !== null
      ? { loop: r.next_loop, tier: r.next_tier, dueAt: r.next_due_at }
      : null;
  return {
    incidentId: Number(r.incident_id),
    policy: r.policy,
    snapshot: r.snapshot,
    startedAt: r.started_at,
    generation: r.generation,
    state: r.state,
    next,
    ackedBy: r.acked_by,
    ackedAt: r.acked_at,
    manualPages: r.manual_pages,
  };
}

function toPage(r: PageRecord): PageRow {
  return {
    id: Number(r.id),
    incidentId: Number(r.incident_id),
    generation: r.generation,
    loop: r.loop,
    tier: r.tier,
    userId: r.user_id,
    dueAt: r.due_at,
    latenessMs: Number(r.lateness_ms),
  };
}

export interface NewPage {
  incidentId: number;
  generation: number;
  loop: number;
  tier: number;
  userId: string;
  dueAt: Date;
  latenessMs: number;
}

/** SQL for escalation state and page records; every write runs on the caller's transaction. */
export class EscalationRepository {
  constructor(private readonly db: Queryable) {}

  /** Creates the escalation; false when the incident already has one (a redelivered open). */
  async create(e: Omit<Escalation, 'generation' | 'ackedBy' | 'ackedAt' | 'manualPages'>): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO escalations (incident_id, policy, snapshot, started_at, state, next_loop, next_tier, next_due_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (incident_id) DO NOTHING`,
      [e.incidentId, e.policy, JSON.stringify(e.snapshot), e.startedAt, e.state, e.next?.loop ?? null, e.next?.tier ?? null, e.next?.dueAt ?? null],
    );
    return rowCount === 1;
  }

  async get(incidentId: number, lock = false): Promise<Escalation | null> {
    const { rows } = await this.db.query<EscalationRecord>(
      `SELECT * FROM escalations WHERE incident_id = $1${lock ? ' FOR UPDATE' : ''}`,
      [incidentId],
    );
    return rows[0] ? toEscalation(rows[0]) : null;
  }

  /** Moves the plan on: the next step (or none, and then `state`). */
  async advance(incidentId: number, next: (Step & { dueAt: Date }) | null, state: EscalationState, bumpGeneration = false): Promise<number> {
    const { rows } = await this.db.query<{ generation: number }>(
      `UPDATE escalations SET next_loop = $2, next_tier = $3, next_due_at = $4, state = $5,
         generation = generation + $6::int
       WHERE incident_id = $1 RETURNING generation`,
      [incidentId, next?.loop ?? null, next?.tier ?? null, next?.dueAt ?? null, state, bumpGeneration ? 1 : 0],
    );
    return rows[0]?.generation ?? 0;
  }

  /** Starts over on another policy from `startedAt`, in a new generation; returns that generation. */
  async replan(incidentId: number, snapshot: PolicySnapshot, startedAt: Date, next: (Step & { dueAt: Date }) | null): Promise<number> {
    const { rows } = await this.db.query<{ generation: number }>(
      `UPDATE escalations SET policy = $2, snapshot = $3, started_at = $4, generation = generation + 1, state = $5,
         next_loop = $6, next_tier = $7, next_due_at = $8
       WHERE incident_id = $1 RETURNING generation`,
      [incidentId, snapshot.name, JSON.stringify(snapshot), startedAt, next ? 'active' : 'done', next?.loop ?? null, next?.tier ?? null, next?.dueAt ?? null],
    );
    return rows[0]?.generation ?? 0;
  }

  async ack(incidentId: number, userId: string, at: Date): Promise<void> {
    await this.db.query(
      `UPDATE escalations SET state = 'acked', acked_by = $2, acked_at = $3, generation = generation + 1,
         next_loop = NULL, next_tier = NULL, next_due_at = NULL
       WHERE incident_id = $1`,
      [incidentId, userId, at],
    );
  }

  async stop(incidentId: number, reason: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE escalations SET state = 'stopped', stop_reason = $2, generation = generation + 1,
         next_loop = NULL, next_tier = NULL, next_due_at = NULL
       WHERE incident_id = $1 AND state = 'active'`,
      [incidentId, reason],
    );
    return rowCount === 1;
  }

  /** Counts one more page sent by hand and returns its number (1, 2, …). */
  async nextManualPage(incidentId: number): Promise<number> {
    const { rows } = await this.db.query<{ manual_pages: number }>(
      'UPDATE escalations SET manual_pages = manual_pages + 1 WHERE incident_id = $1 RETURNING manual_pages',
      [incidentId],
    );
    return rows[0]?.manual_pages ?? 0;
  }

  /** Records pages; returns only those new to the table (a retried step records nobody twice). */
  async addPages(pages: NewPage[]): Promise<PageRow[]> {
    if (pages.length === 0) return [];
    const { rows } = await this.db.query<PageRecord>(
      `INSERT INTO pages (incident_id, generation, loop, tier, user_id, due_at, lateness_ms)
       SELECT * FROM unnest($1::bigint[], $2::int[], $3::int[], $4::int[], $5::text[], $6::timestamptz[], $7::bigint[])
       ON CONFLICT (incident_id, generation, loop, tier, user_id) DO NOTHING
       RETURNING *`,
      [
        pages.map((p) => p.incidentId),
        pages.map((p) => p.generation),
        pages.map((p) => p.loop),
        pages.map((p) => p.tier),
        pages.map((p) => p.userId),
        pages.map((p) => p.dueAt),
        pages.map((p) => Math.round(p.latenessMs)),
      ],
    );
    return rows.map(toPage);
  }

  async pages(incidentId: number): Promise<PageRow[]> {
    const { rows } = await this.db.query<PageRecord>('SELECT * FROM pages WHERE incident_id = $1 ORDER BY id', [incidentId]);
    return rows.map(toPage);
  }

  /**
   * Locks up to `limit` active escalations whose step is due by `until` (by the database's clock
   * when later), oldest first. Rows another transaction holds (a step being recorded, an ack, a
   * close) are skipped, so concurrent sweeps never take the same step.
   */
  async claimDue(until: Date | null, limit: number, skip: readonly number[] = []): Promise<Escalation[]> {
    const { rows } = await this.db.query<EscalationRecord>(
      `SELECT * FROM escalations
       WHERE state = 'active' AND next_due_at <= greatest(now(), $1::timestamptz) AND incident_id <> ALL($3::bigint[])
       ORDER BY next_due_at LIMIT $2
       FOR UPDATE SKIP LOCKED`,
      [until, limit, skip],
    );
    return rows.map(toEscalation);
  }

  /** Locks these escalations, skipping any another transaction holds. */
  async lockFree(incidentIds: readonly number[]): Promise<Escalation[]> {
    const { rows } = await this.db.query<EscalationRecord>(
      'SELECT * FROM escalations WHERE incident_id = ANY($1::bigint[]) ORDER BY incident_id FOR UPDATE SKIP LOCKED',
      [incidentIds],
    );
    return rows.map(toEscalation);
  }

  /** `advance` for many escalations in one statement (their rows already locked by the caller). */
  async advanceAll(moves: readonly { incidentId: number; next: (Step & { dueAt: Date }) | null }[]): Promise<void> {
    if (moves.length === 0) return;
    await this.db.query(
      `UPDATE escalations e SET next_loop = m.loop, next_tier = m.tier, next_due_at = m.due_at,
         state = CASE WHEN m.due_at IS NULL THEN 'done' ELSE 'active' END
       FROM unnest($1::bigint[], $2::int[], $3::int[], $4::timestamptz[]) AS m (incident_id, loop, tier, due_at)
       WHERE e.incident_id = m.incident_id`,
      [moves.map((m) => m.incidentId), moves.map((m) => m.next?.loop ?? null), moves.map((m) => m.next?.tier ?? null), moves.map((m) => m.next?.dueAt ?? null)],
    );
  }

  /** How many active escalations (up to `limit`) have a step due at or before `at`. */
  async countOverdue(at: Date, limit: number): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT 1 FROM escalations WHERE state = 'active' AND next_due_at <= $1 LIMIT $2) o`,
      [at, limit],
    );
    return rows[0]?.n ?? 0;
  }
}

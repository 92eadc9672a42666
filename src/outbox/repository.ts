import { leaseIsFree } from '../replicas/registry.js';
import type { Queryable } from '../store/queryable.js';
import type { Effect, NewEffect } from './model.js';

interface EffectRow {
  id: string;
  lane: string;
  kind: string;
  key: string;
  incident_id: string | null;
  payload: Record<string, unknown>;
  progress: Record<string, unknown>;
  attempts: number;
}

function toEffect(row: EffectRow): Effect {
  return {
    id: Number(row.id),
    lane: row.lane,
    kind: row.kind,
    key: row.key,
    incidentId: row.incident_id === null ? null : Number(row.incident_id),
    payload: row.payload,
    progress: row.progress,
    attempts: row.attempts,
  };
}

/** SQL of the outbox and its lanes; the only module that knows their shape. */
export class OutboxRepository {
  constructor(private readonly db: Queryable) {}

  async add(effects: readonly NewEffect[]): Promise<void> {
    if (effects.length === 0) return;
    // Lanes are inserted in one order by every writer, so concurrent commits never deadlock on them.
    await this.db.query(
      `WITH lanes AS (
         INSERT INTO outbox_lanes (lane) SELECT DISTINCT unnest($6::text[]) ORDER BY 1 ON CONFLICT (lane) DO NOTHING
       )
       INSERT INTO outbox (lane, kind, key, incident_id, payload)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::jsonb[])
       ON CONFLICT (key) DO NOTHING`,
      [
        effects.map((e) => e.lane),
        effects.map((e) => e.kind),
        effects.map((e) => e.key),
        effects.map((e) => e.incidentId ?? null),
        effects.map((e) => JSON.stringify(e.payload ?? {})),
        [...new Set(effects.map((e) => e.lane))],
      ],
    );
  }

  /**
   * Takes the lane for this replica when nobody live holds it and Slack is not making it wait,
   * and with it the lane's oldest undelivered effect (counted as one more attempt): one round trip.
   */
  async claimLane(lane: string, me: string): Promise<{ claimed: false } | { claimed: true; first: Effect | null }> {
    const { rows } = await this.db.query<{ claimed: boolean } & Partial<EffectRow>>(
      `WITH claimed AS (
         UPDATE outbox_lanes SET leased_by = $2
         WHERE lane = $1 AND not_before <= now() AND ${leaseIsFree('leased_by', '$2')}
         RETURNING lane
       ), taken AS (
         UPDATE outbox SET attempts = attempts + 1
         WHERE id = (SELECT id FROM outbox WHERE lane = $1 AND state = 'pending' ORDER BY id LIMIT 1)
           AND EXISTS (SELECT 1 FROM claimed)
         RETURNING *
       )
       SELECT EXISTS (SELECT 1 FROM claimed) AS claimed, taken.* FROM (SELECT 1) AS one LEFT JOIN taken ON true`,
      [lane, me],
    );
    const row = rows[0]!;
    if (!row.claimed) return { claimed: false };
    return { claimed: true, first: row.id === undefined || row.id === null ? null : toEffect(row as EffectRow) };
  }

  /**
   * Lets go of the lane; true when it has undelivered effects all the same (committed while it was
   * being drained), which the caller then claims again rather than leave them to the reconciler.
   */
  async releaseLane(lane: string, me: string): Promise<boolean> {
    const { rows } = await this.db.query<{ pending: boolean }>(
      `UPDATE outbox_lanes SET leased_by = NULL WHERE lane = $1 AND leased_by = $2
       RETURNING EXISTS (SELECT 1 FROM outbox WHERE lane = $1 AND state = 'pending') AS pending`,
      [lane, me],
    );
    return rows[0]?.pending ?? false;
  }

  /** Lets go of the lane until `delayMs` from now (429 Retry-After, or a backoff). */
  async holdLane(lane: string, me: string, delayMs: number): Promise<void> {
    await this.db.query(
      `UPDATE outbox_lanes SET leased_by = NULL, not_before = now() + make_interval(secs => $3)
       WHERE lane = $1 AND leased_by = $2`,
      [lane, me, delayMs / 1000],
    );
  }

  /** The lane's oldest undelivered effect, counted as one more attempt. */
  async nextAttempt(lane: string): Promise<Effect | null> {
    const { rows } = await this.db.query<EffectRow>(
      `UPDATE outbox SET attempts = attempts + 1
       WHERE id = (SELECT id FROM outbox WHERE lane = $1 AND state = 'pending' ORDER BY id LIMIT 1)
       RETURNING *`,
      [lane],
    );
    return rows[0] ? toEffect(rows[0]) : null;
  }

  /** Marks `id` delivered and takes the lane's next effect (as `nextAttempt`), in one statement. */
  async markDoneAndTakeNext(id: number, lane: string): Promise<Effect | null> {
    // The CTE's update is not visible to the rest of the statement: `id <> $1` skips the row it marks.
    const { rows } = await this.db.query<EffectRow>(
      `WITH done AS (UPDATE outbox SET state = 'done', done_at = now(), last_error = NULL WHERE id = $1)
       UPDATE outbox SET attempts = attempts + 1
       WHERE id = (SELECT id FROM outbox WHERE lane = $2 AND state = 'pending' AND id <> $1 ORDER BY id LIMIT 1)
       RETURNING *`,
      [id, lane],
    );
    return rows[0] ? toEffect(rows[0]) : null;
  }

  async markFailed(id: number, error: string): Promise<void> {
    await this.db.query("UPDATE outbox SET state = 'failed', done_at = now(), last_error = $2 WHERE id = $1", [id, error]);
  }

  async noteError(id: number, error: string): Promise<void> {
    await this.db.query('UPDATE outbox SET last_error = $2 WHERE id = $1', [id, error]);
  }

  async saveProgress(id: number, progress: Record<string, unknown>): Promise<void> {
    await this.db.query('UPDATE outbox SET progress = $2 WHERE id = $1', [id, JSON.stringify(progress)]);
  }

  /** Lanes with work due that no live replica is delivering: what a crash or a lost wake-up left. */
  async orphanedLanes(me: string, limit = 200): Promise<string[]> {
    const { rows } = await this.db.query<{ lane: string }>(
      `SELECT l.lane FROM outbox_lanes l
       WHERE l.not_before <= now() AND ${leaseIsFree('l.leased_by', '$1')} AND l.leased_by IS DISTINCT FROM $1
         AND EXISTS (SELECT 1 FROM outbox o WHERE o.lane = l.lane AND o.state = 'pending')
       LIMIT $2`,
      [me, limit],
    );
    return rows.map((row) => row.lane);
  }

  async pendingCount(): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>("SELECT count(*) AS n FROM outbox WHERE state = 'pending'");
    return Number(rows[0]?.n ?? 0);
  }
}

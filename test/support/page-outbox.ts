import { randomBytes } from 'node:crypto';
import type { PageEffect, PageOutbox } from '../../src/escalation/ports.js';
import type { Queryable } from '../../src/store/queryable.js';

export interface RecordedEffect extends PageEffect {
  recordedAt: Date;
}

/**
 * A stand-in for the durable Slack outbox: effects land in a table in the caller's
 * transaction, so a test sees exactly what would be delivered, and only if it committed.
 */
export class RecordingPageOutbox implements PageOutbox {
  wakes = 0;
  constructor(private readonly db: Queryable) {}

  static async install(db: Queryable): Promise<void> {
    await db.query(`CREATE TABLE IF NOT EXISTS test_page_effects (
      id bigserial PRIMARY KEY, kind text NOT NULL, incident_id bigint NOT NULL, page_id bigint NOT NULL,
      user_id text NOT NULL, key text NOT NULL, recorded_at timestamptz NOT NULL DEFAULT clock_timestamp())`);
  }

  // One statement for all, in the order given, as the real outbox does (src/outbox/repository.ts).
  async add(db: Queryable, effects: PageEffect[]): Promise<void> {
    if (effects.length === 0) return;
    await db.query(
      `INSERT INTO test_page_effects (kind, incident_id, page_id, user_id, key)
       SELECT kind, incident_id, page_id, user_id, key
       FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[]) WITH ORDINALITY AS e (kind, incident_id, page_id, user_id, key, n)
       ORDER BY n`,
      [effects.map((e) => e.kind), effects.map((e) => e.incidentId), effects.map((e) => e.pageId), effects.map((e) => e.userId), effects.map((e) => e.key)],
    );
  }

  async wake(): Promise<void> {
    this.wakes += 1;
  }

  async effects(incidentId?: number): Promise<RecordedEffect[]> {
    const { rows } = await this.db.query<{ kind: PageEffect['kind']; incident_id: string; page_id: string; user_id: string; key: string; recorded_at: Date }>(
      `SELECT * FROM test_page_effects ${incidentId === undefined ? '' : 'WHERE incident_id = $1'} ORDER BY id`,
      incidentId === undefined ? [] : [incidentId],
    );
    return rows.map((r) => ({ kind: r.kind, incidentId: Number(r.incident_id), pageId: Number(r.page_id), userId: r.user_id, key: r.key, recordedAt: r.recorded_at }));
  }
}

/** Inserts a bare open incident row for escalation tests; returns its id. */
export async function insertIncident(db: Queryable, title = 'Checkout errors', severity = 1): Promise<number> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO incidents (team_id, title, severity, status, state, opened_by, channel_id)
     VALUES ('T1', $1, $2, 'investigating', 'open', 'U0OPENER', $3) RETURNING id`,
    [title, severity, `C${randomBytes(5).toString('hex').toUpperCase()}`],
  );
  return Number(rows[0]?.id);
}

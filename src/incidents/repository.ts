import type { Queryable } from '../store/queryable.js';
import type { Incident, IncidentState, Severity, Status } from './model.js';


interface IncidentRow {
  id: string;
  team_id: string;
  title: string;
  severity: number;
  status: string;
  state: string;
  lead_user_id: string | null;
  opened_by: string;
  opened_at: Date;
  closed_at: Date | null;
  close_summary: string | null;
  origin_channel_id: string | null;
  channel_id: string | null;
  channel_name: string | null;
  card_ts: string | null;
  problems: string[];
  version: number;
}

function toIncident(row: IncidentRow): Incident {
  return {
    id: Number(row.id),
    teamId: row.team_id,
    title: row.title,
    severity: row.severity as Severity,
    status: row.status as Status,
    state: row.state as IncidentState,
    leadUserId: row.lead_user_id,
    openedBy: row.opened_by,
    openedAt: row.opened_at,
    closedAt: row.closed_at,
    closeSummary: row.close_summary,
    originChannelId: row.origin_channel_id,
    channelId: row.channel_id,
    channelName: row.channel_name,
    cardTs: row.card_ts,
    problems: row.problems,
    version: row.version,
  };
}

export interface NewIncident {
  teamId: string;
  title: string;
  severity: Severity;
  openedBy: string;
  openedAt: Date;
  originChannelId: string | null;
  requestId: string;
}

export type IncidentChange =
  | { kind: 'status'; status: Status }
  | { kind: 'severity'; severity: Severity }
  | { kind: 'lead'; userId: string }
  | { kind: 'close'; summary: string; at: Date };

/** SQL for incidents; the only module that knows the table's shape. */
export class IncidentRepository {
  constructor(private readonly db: Queryable) {}

  /** Inserts the row, or returns the one a previous delivery of the same request created. */
  async create(input: NewIncident): Promise<{ incident: Incident; created: boolean }> {
    const inserted = await this.db.query<IncidentRow>(
      `INSERT INTO incidents (team_id, title, severity, status, opened_by, opened_at, origin_channel_id, open_request_id)
       VALUES ($1, $2, $3, 'investigating', $4, $5, $6, $7)
       ON CONFLICT (open_request_id) DO NOTHING
       RETURNING *`,
      [input.teamId, input.title, input.severity, input.openedBy, input.openedAt, input.originChannelId, input.requestId],
    );
    const row = inserted.rows[0];
    if (row) return { incident: toIncident(row), created: true };
    const existing = await this.db.query<IncidentRow>('SELECT * FROM incidents WHERE open_request_id = $1', [
      input.requestId,
    ]);
    return { incident: toIncident(existing.rows[0]!), created: false };
  }

  /** Remembers the name about to be created, so a re-run after a crash can find that channel. */
  async intendChannelName(id: number, channelName: string): Promise<void> {
    await this.db.query('UPDATE incidents SET channel_name = $2 WHERE id = $1', [id, channelName]);
  }

  async attachChannel(id: number, channelId: string, channelName: string): Promise<Incident> {
    const { rows } = await this.db.query<IncidentRow>(
      `UPDATE incidents SET channel_id = $2, channel_name = $3, state = 'open', version = version + 1
       WHERE id = $1 RETURNING *`,
      [id, channelId, channelName],
    );
    return toIncident(rows[0]!);
  }

  async markFailed(id: number, problem: string): Promise<void> {
    await this.db.query(`UPDATE incidents SET state = 'failed', problems = problems || $2::text WHERE id = $1`, [
      id,
      problem,
    ]);
  }

  async addProblem(id: number, problem: string): Promise<void> {
    await this.db.query('UPDATE incidents SET problems = problems || $2::text WHERE id = $1', [id, problem]);
  }

  async setCardTs(id: number, ts: string): Promise<void> {
    await this.db.query('UPDATE incidents SET card_ts = $2 WHERE id = $1', [id, ts]);
  }

  /**
   * Incidents left opening by a request that will not run again (it failed for good, or its
   * inbox entry is gone): nobody is coming back for them.
   */
  async abandonedOpenings(olderThanMs: number): Promise<Incident[]> {
    const { rows } = await this.db.query<IncidentRow>(
      `SELECT * FROM incidents i
       WHERE i.state = 'opening' AND i.opened_at < now() - make_interval(secs => $1)
         AND NOT EXISTS (SELECT 1 FROM inbox b WHERE b.state = 'pending'
                         AND b.key IN ('command:' || i.open_request_id, i.open_request_id))`,
      [olderThanMs / 1000],
    );
    return rows.map(toIncident);
  }

  async byId(id: number): Promise<Incident | null> {
    const { rows } = await this.db.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1', [id]);
    return rows[0] ? toIncident(rows[0]) : null;
  }

  async byChannel(channelId: string): Promise<Incident | null> {
    const { rows } = await this.db.query<IncidentRow>('SELECT * FROM incidents WHERE channel_id = $1', [channelId]);
    return rows[0] ? toIncident(rows[0]) : null;
  }

  async listOpen(teamId: string): Promise<Incident[]> {
    const { rows } = await this.db.query<IncidentRow>(
      `SELECT * FROM incidents WHERE team_id = $1 AND state = 'open' ORDER BY severity, opened_at`,
      [teamId],
    );
    return rows.map(toIncident);
  }

  /**
   * Applies a change to an open incident, locking its row so concurrent commands serialize.
   * Returns the incident before and after, or null when it is not open (nothing is changed).
   */
  async change(id: number, change: IncidentChange): Promise<{ before: Incident; after: Incident } | null> {
    const current = await this.db.query<IncidentRow>(
      `SELECT * FROM incidents WHERE id = $1 AND state = 'open' FOR UPDATE`,
      [id],
    );
    if (!current.rows[0]) return null;
    const before = toIncident(current.rows[0]);
    const [sql, params] = ((): [string, unknown[]] => {
      switch (change.kind) {
        case 'status':
          return ['status = $2', [change.status]];
        case 'severity':
          return ['severity = $2', [change.severity]];
        case 'lead':
          return ['lead_user_id = $2', [change.userId]];
        case 'close':
          return [`state = 'closed', status = 'resolved', close_summary = $2, closed_at = $3`, [change.summary, change.at]];
      }
    })();
    const { rows } = await this.db.query<IncidentRow>(
      `UPDATE incidents SET ${sql}, version = version + 1 WHERE id = $1 RETURNING *`,
      [
      id,
      ...params,
    ]);
    return { before, after: toIncident(rows[0]!) };
  }
}

import type { Queryable } from '../store/queryable.js';

/** A running `/locks watch`: what it samples, where it posts, and the picture it posted last. */
export interface LockWatchRow {
  incidentId: number;
  database: string;
  channelId: string;
  lastKey: string | null;
}

interface WatchRecord {
  incident_id: string;
  database: string;
  channel_id: string;
  last_key: string | null;
}

/** SQL for the watchers of `/locks watch`; one row per incident and database. */
export class LockWatchRepository {
  constructor(private readonly db: Queryable) {}

  /** Starts the watch, or starts it over (a stopped one, or one asked for again) from no picture. */
  async start(incidentId: number, database: string, channelId: string, startedBy: string): Promise<void> {
    await this.db.query(
      `INSERT INTO locks_watches (incident_id, database, channel_id, started_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (incident_id, database) DO UPDATE SET stopped_at = NULL, last_key = NULL, started_by = $4, started_at = now()`,
      [incidentId, database, channelId, startedBy],
    );
  }

  /** Stops every watch of the incident; false when none was running. */
  async stop(incidentId: number): Promise<boolean> {
    const { rowCount } = await this.db.query('UPDATE locks_watches SET stopped_at = now() WHERE incident_id = $1 AND stopped_at IS NULL', [incidentId]);
    return (rowCount ?? 0) > 0;
  }

  /** Stops the watches of incidents that are not open any more. */
  async stopClosed(): Promise<void> {
    await this.db.query(
      `UPDATE locks_watches w SET stopped_at = now() FROM incidents i
       WHERE i.id = w.incident_id AND w.stopped_at IS NULL AND i.state <> 'open'`,
    );
  }

  async running(): Promise<LockWatchRow[]> {
    const { rows } = await this.db.query<WatchRecord>('SELECT incident_id, database, channel_id, last_key FROM locks_watches WHERE stopped_at IS NULL');
    return rows.map((r) => ({ incidentId: Number(r.incident_id), database: r.database, channelId: r.channel_id, lastKey: r.last_key }));
  }

  /**
   * Takes the post of picture `key` by compare-and-set on the picture `watch` last saw: false when
   * another run posted meanwhile, or the watch stopped.
   */
  async claim(watch: LockWatchRow, key: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE locks_watches SET last_key = $3
       WHERE incident_id = $1 AND database = $2 AND stopped_at IS NULL AND last_key IS NOT DISTINCT FROM $4`,
      [watch.incidentId, watch.database, key, watch.lastKey],
    );
    return rowCount === 1;
  }
}

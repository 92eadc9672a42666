import type { Queryable } from './queryable.js';

/**
 * Slack redelivers events (same event_id) when it did not see our answer in time, even while the
 * first delivery is still being handled; a primary key decides which delivery does the work,
 * across every replica.
 */
export class SeenEvents {
  constructor(private readonly db: Queryable) {}

  async firstTime(eventId: string): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'INSERT INTO slack_events_seen (event_id) VALUES ($1) ON CONFLICT (event_id) DO NOTHING',
      [eventId],
    );
    return rowCount === 1;
  }

  /** Forgets ids older than Slack's retry window (minutes), so the table stays small. */
  async prune(olderThanMs: number): Promise<number> {
    const { rowCount } = await this.db.query(
      'DELETE FROM slack_events_seen WHERE seen_at < now() - make_interval(secs => $1)',
      [olderThanMs / 1000],
    );
    return rowCount ?? 0;
  }
}

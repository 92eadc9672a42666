import { leaseIsFree } from '../replicas/registry.js';
import type { Queryable } from '../store/queryable.js';

export interface InboxEntry {
  key: string;
  kind: string;
  payload: object;
  receivedAt: Date;
  attempts: number;
}

interface EntryRow {
  key: string;
  kind: string;
  payload: object;
  received_at: Date;
  attempts: number;
}

const toEntry = (row: EntryRow): InboxEntry => ({
  key: row.key,
  kind: row.kind,
  payload: row.payload,
  receivedAt: row.received_at,
  attempts: row.attempts,
});

/** SQL of the inbox: what Slack delivered and got a 200 for. */
export class InboxRepository {
  constructor(private readonly db: Queryable) {}

  /** Records deliveries, leased to this replica; per entry, false when its key was delivered before. */
  async record(entries: readonly { key: string; kind: string; payload: object }[], me: string): Promise<boolean[]> {
    const { rows } = await this.db.query<{ key: string }>(
      `INSERT INTO inbox (key, kind, payload, leased_by, attempts)
       SELECT key, kind, payload::jsonb, $4, 1 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(key, kind, payload)
       ON CONFLICT (key) DO NOTHING
       RETURNING key`,
      [entries.map((e) => e.key), entries.map((e) => e.kind), entries.map((e) => JSON.stringify(e.payload)), me],
    );
    // A key twice in one batch is inserted once: only its first delivery is new.
    const fresh = new Set(rows.map((row) => row.key));
    return entries.map((e) => fresh.delete(e.key));
  }

  async markDone(keys: readonly string[]): Promise<void> {
    await this.db.query("UPDATE inbox SET state = 'done', done_at = now(), leased_by = NULL WHERE key = ANY($1::text[])", [keys]);
  }

  async markFailed(key: string, error: string): Promise<void> {
    await this.db.query(
      "UPDATE inbox SET state = 'failed', done_at = now(), leased_by = NULL, last_error = $2 WHERE key = $1",
      [key, error],
    );
  }

  /** Lets the entry go until `delayMs` from now, for any replica to try again. */
  async retryLater(key: string, error: string, delayMs: number): Promise<void> {
    await this.db.query(
      `UPDATE inbox SET leased_by = NULL, last_error = $2, not_before = now() + make_interval(secs => $3) WHERE key = $1`,
      [key, error, delayMs / 1000],
    );
  }

  /** Takes over entries that are due and that no live replica is handling (a crash, a failed try). */
  async claimOrphans(me: string, limit: number): Promise<InboxEntry[]> {
    const { rows } = await this.db.query<EntryRow>(
      `UPDATE inbox SET leased_by = $1, attempts = attempts + 1
       WHERE key IN (
         SELECT key FROM inbox
         WHERE state = 'pending' AND not_before <= now() AND leased_by IS DISTINCT FROM $1 AND ${leaseIsFree('leased_by', '$1')}
         ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING key, kind, payload, received_at, attempts`,
      [me, limit],
    );
    return rows.map(toEntry);
  }

  /** Forgets finished entries older than Slack's retry window, so the table stays small. */
  async prune(olderThanMs: number): Promise<number> {
    const { rowCount } = await this.db.query(
      "DELETE FROM inbox WHERE state <> 'pending' AND received_at < now() - make_interval(secs => $1)",
      [olderThanMs / 1000],
    );
    return rowCount ?? 0;
  }
}

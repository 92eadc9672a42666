import type { Queryable } from '../store/queryable.js';

export interface StoredPostmortem {
  incidentId: number;
  version: number;
  requestKey: string;
  markdown: string;
  summary: { events: number; messages: number };
  fileId: string | null;
  messageTs: string | null;
}

interface Row {
  incident_id: string;
  version: number;
  request_key: string;
  markdown: string;
  summary: { events: number; messages: number };
  file_id: string | null;
  message_ts: string | null;
}

const toStored = (row: Row): StoredPostmortem => ({
  incidentId: Number(row.incident_id),
  version: row.version,
  requestKey: row.request_key,
  markdown: row.markdown,
  summary: row.summary,
  fileId: row.file_id,
  messageTs: row.message_ts,
});

/** Every compiled draft, by incident and version; the only module that knows the table. */
export class PostmortemRepository {
  constructor(private readonly db: Queryable) {}

  async byRequest(requestKey: string): Promise<StoredPostmortem | null> {
    const { rows } = await this.db.query<Row>('SELECT * FROM postmortems WHERE request_key = $1', [requestKey]);
    return rows[0] ? toStored(rows[0]) : null;
  }

  async latestBefore(incidentId: number, version: number): Promise<StoredPostmortem | null> {
    const { rows } = await this.db.query<Row>(
      'SELECT * FROM postmortems WHERE incident_id = $1 AND version < $2 ORDER BY version DESC LIMIT 1',
      [incidentId, version],
    );
    return rows[0] ? toStored(rows[0]) : null;
  }

  /**
   * Stores a draft as the incident's next version, once per request: a retry after a crash gets
   * the draft stored the first time, so the same version is published.
   */
  async storeOnce(
    incidentId: number,
    requestKey: string,
    draft: (version: number) => { markdown: string; summary: StoredPostmortem['summary'] },
    createdBy: string | null,
  ): Promise<StoredPostmortem> {
    const existing = await this.byRequest(requestKey);
    if (existing) return existing;
    const { rows } = await this.db.query<{ next: number }>(
      'SELECT coalesce(max(version), 0) + 1 AS next FROM postmortems WHERE incident_id = $1',
      [incidentId],
    );
    const version = rows[0]!.next;
    const { markdown, summary } = draft(version);
    await this.db.query(
      `INSERT INTO postmortems (incident_id, version, request_key, markdown, summary, created_by)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [incidentId, version, requestKey, markdown, JSON.stringify(summary), createdBy],
    );
    // Lost a race for the version number (two requests at once): compile again with the next one.
    return (await this.byRequest(requestKey)) ?? this.storeOnce(incidentId, requestKey, draft, createdBy);
  }

  async setFile(incidentId: number, version: number, fileId: string): Promise<void> {
    await this.db.query('UPDATE postmortems SET file_id = $3 WHERE incident_id = $1 AND version = $2', [incidentId, version, fileId]);
  }

  async setPublished(incidentId: number, version: number, messageTs: string): Promise<void> {
    await this.db.query(
      'UPDATE postmortems SET message_ts = $3, published_at = now() WHERE incident_id = $1 AND version = $2',
      [incidentId, version, messageTs],
    );
  }
}

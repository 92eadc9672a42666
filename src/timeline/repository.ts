import type { Queryable } from '../store/queryable.js';
import type { EventKind, NewTimelineEvent, TimelineEvent } from './model.js';

interface EventRow {
  request_id: string | null;
  id: string;
  incident_id: string;
  occurred_at: Date;
  recorded_at: Date;
  kind: string;
  author_id: string | null;
  text: string;
  typed_time: string | null;
  typed_zone: string | null;
  zone_used: string | null;
  warnings: string[];
  source_ts: string | null;
  data: Record<string, unknown>;
}

function toEvent(row: EventRow): TimelineEvent {
  return {
    id: Number(row.id),
    incidentId: Number(row.incident_id),
    occurredAt: row.occurred_at,
    recordedAt: row.recorded_at,
    kind: row.kind as EventKind,
    authorId: row.author_id,
    text: row.text,
    typedTime: row.typed_time,
    typedZone: row.typed_zone,
    zoneUsed: row.zone_used,
    warnings: row.warnings,
    sourceTs: row.source_ts,
    data: row.data,
  };
}

export class TimelineRepository {
  constructor(private readonly db: Queryable) {}

  /** Records an event; null when an event from the same Slack message was already recorded. */
  async add(event: NewTimelineEvent): Promise<TimelineEvent | null> {
    const { rows } = await this.db.query<EventRow>(
      `INSERT INTO timeline_events
         (incident_id, occurred_at, kind, author_id, text, typed_time, typed_zone, zone_used, warnings, source_ts, data,
          request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT DO NOTHING
       RETURNING *`,
      [
        event.incidentId,
        event.occurredAt,
        event.kind,
        event.authorId,
        event.text,
        event.typedTime ?? null,
        event.typedZone ?? null,
        event.zoneUsed ?? null,
        event.warnings ?? [],
        event.sourceTs ?? null,
        event.data ?? {},
        event.requestId ?? null,
      ],
    );
    return rows[0] ? toEvent(rows[0]) : null;
  }

  /** Records many events in one statement, in the order given; an event a unique key already holds is skipped. */
  async addAll(events: readonly NewTimelineEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map((e) => ({
      incident_id: e.incidentId,
      occurred_at: e.occurredAt.toISOString(),
      kind: e.kind,
      author_id: e.authorId,
      text: e.text,
      typed_time: e.typedTime ?? null,
      typed_zone: e.typedZone ?? null,
      zone_used: e.zoneUsed ?? null,
      warnings: e.warnings ?? [],
      source_ts: e.sourceTs ?? null,
      data: e.data ?? {},
      request_id: e.requestId ?? null,
    }));
    await this.db.query(
      `INSERT INTO timeline_events
         (incident_id, occurred_at, kind, author_id, text, typed_time, typed_zone, zone_used, warnings, source_ts, data,
          request_id)
       SELECT incident_id, occurred_at, kind, author_id, text, typed_time, typed_zone, zone_used, warnings, source_ts, data,
          request_id
       FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (incident_id bigint, occurred_at timestamptz, kind text,
          author_id text, text text, typed_time text, typed_zone text, zone_used text, warnings text[], source_ts text,
          data jsonb, request_id text)) WITH ORDINALITY
         AS e (incident_id, occurred_at, kind, author_id, text, typed_time, typed_zone, zone_used, warnings, source_ts,
          data, request_id, n)
       ORDER BY n
       ON CONFLICT DO NOTHING`,
      [JSON.stringify(rows)],
    );
  }

  /** True when this Slack request already recorded its event (the request is being re-run). */
  async hasRequest(requestId: string): Promise<boolean> {
    const { rows } = await this.db.query('SELECT 1 FROM timeline_events WHERE request_id = $1', [requestId]);
    return rows.length > 0;
  }

  /** The incident's events in the order they happened, ties in the order they were recorded. */
  async list(incidentId: number): Promise<TimelineEvent[]> {
    const { rows } = await this.db.query<EventRow>(
      'SELECT * FROM timeline_events WHERE incident_id = $1 ORDER BY occurred_at, id',
      [incidentId],
    );
    return rows.map(toEvent);
  }

  async count(incidentId: number): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>('SELECT count(*) AS n FROM timeline_events WHERE incident_id = $1', [
      incidentId,
    ]);
    return Number(rows[0]?.n ?? 0);
  }

  /** One page of `list`, read in SQL: a long incident is not parsed whole to show 20 rows. */
  async page(incidentId: number, offset: number, limit: number): Promise<TimelineEvent[]> {
    const { rows } = await this.db.query<EventRow>(
      'SELECT * FROM timeline_events WHERE incident_id = $1 ORDER BY occurred_at, id OFFSET $2 LIMIT $3',
      [incidentId, offset, limit],
    );
    return rows.map(toEvent);
  }
}

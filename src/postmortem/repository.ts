// The postmortem's store: its versions, and the incident channel's captured messages it reads.
import type { Queryable } from '../store/queryable.js';
import type { ChannelMessage } from '../ports/slack.js';
import { tsToDate } from '../timeline/messages.js';
import type { CapturedMessage } from './model.js';
import type { DraftSummary } from './diff.js';

export interface PostmortemVersion {
  incidentId: number;
  version: number;
  markdown: string;
  createdAt: Date;
  createdBy: string | null;
  summary: DraftSummary;
  fileId: string | null;
  messageTs: string | null;
  canvasId: string | null;
}

interface VersionRow {
  incident_id: string;
  version: number;
  markdown: string;
  created_at: Date;
  created_by: string | null;
  summary: DraftSummary;
  file_id: string | null;
  message_ts: string | null;
  canvas_id: string | null;
}

const toVersion = (r: VersionRow): PostmortemVersion => ({
  incidentId: Number(r.incident_id),
  version: r.version,
  markdown: r.markdown,
  createdAt: r.created_at,
  createdBy: r.created_by,
  summary: r.summary,
  fileId: r.file_id,
  messageTs: r.message_ts,
  canvasId: r.canvas_id,
});

export type PublishedPart = { fileId: string } | { messageTs: string } | { canvasId: string };

export class PostmortemRepository {
  constructor(private readonly db: Queryable) {}

  async latest(incidentId: number): Promise<PostmortemVersion | null> {
    const { rows } = await this.db.query<VersionRow>(
      'SELECT * FROM postmortems WHERE incident_id = $1 ORDER BY version DESC LIMIT 1',
      [incidentId],
    );
    return rows[0] ? toVersion(rows[0]) : null;
  }

  async get(incidentId: number, version: number): Promise<PostmortemVersion | null> {
    const { rows } = await this.db.query<VersionRow>('SELECT * FROM postmortems WHERE incident_id = $1 AND version = $2', [incidentId, version]);
    return rows[0] ? toVersion(rows[0]) : null;
  }

  /**
   * Stores the next version; null when another compile stored the same version first (the
   * primary key decides, so two replicas never write two version 3s).
   */
  async add(incidentId: number, version: number, markdown: string, summary: DraftSummary, createdBy: string | null): Promise<PostmortemVersion | null> {
    const { rows } = await this.db.query<VersionRow>(
      `INSERT INTO postmortems (incident_id, version, markdown, summary, created_by)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING *`,
      [incidentId, version, markdown, summary, createdBy],
    );
    return rows[0] ? toVersion(rows[0]) : null;
  }

  async recordPublished(incidentId: number, version: number, part: PublishedPart): Promise<void> {
    const [column, value] = 'fileId' in part ? ['file_id', part.fileId] : 'messageTs' in part ? ['message_ts', part.messageTs] : ['canvas_id', part.canvasId];
    await this.db.query(`UPDATE postmortems SET ${column} = $3 WHERE incident_id = $1 AND version = $2`, [incidentId, version, value]);
  }
}

/** The incident channel's messages as captured (live or by the backfill), deleted ones left out. */
export class CapturedMessages {
  constructor(private readonly db: Queryable) {}

  async list(channelId: string): Promise<CapturedMessage[]> {
    const { rows } = await this.db.query<{ ts: string; user_id: string | null; text: string; thread_ts: string | null }>(
      'SELECT ts, user_id, text, thread_ts FROM channel_messages WHERE channel_id = $1 AND NOT deleted ORDER BY posted_at, ts',
      [channelId],
    );
    return rows.map((r) => ({ ts: r.ts, userId: r.user_id, text: r.text, threadTs: r.thread_ts }));
  }

  /** The newest ts captured in the channel, deleted ones included (they were seen too). Text order is time order while ts has 10 digits of seconds (until 2286). */
  async latestTs(channelId: string): Promise<string | null> {
    const { rows } = await this.db.query<{ ts: string }>(
      'SELECT ts FROM channel_messages WHERE channel_id = $1 ORDER BY ts DESC LIMIT 1',
      [channelId],
    );
    return rows[0]?.ts ?? null;
  }

  /** Thread parents known in the channel: replies to them may have come while the bot was away. */
  async threadRoots(channelId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ thread_ts: string }>(
      'SELECT DISTINCT thread_ts FROM channel_messages WHERE channel_id = $1 AND thread_ts IS NOT NULL',
      [channelId],
    );
    return rows.map((r) => r.thread_ts);
  }

  /** Stores what is not there yet; a message captured live keeps its row (and its edits). Returns rows added. */
  async addMissing(channelId: string, messages: readonly ChannelMessage[]): Promise<number> {
    if (messages.length === 0) return 0;
    const result = await this.db.query(
      `INSERT INTO channel_messages (channel_id, ts, user_id, text, thread_ts, posted_at)
       SELECT $1, m.ts, m.user_id, m.text, m.thread_ts, m.posted_at
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS m(ts, user_id, text, thread_ts, posted_at)
       ON CONFLICT (channel_id, ts) DO NOTHING`,
      [
        channelId,
        messages.map((m) => m.ts),
        messages.map((m) => m.userId),
        messages.map((m) => m.text),
        messages.map((m) => m.threadTs),
        messages.map((m) => tsToDate(m.ts)),
      ],
    );
    return result.rowCount ?? 0;
  }
}

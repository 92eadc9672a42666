import type { Queryable } from '../store/queryable.js';
import type { ChannelMessage } from '../ports/slack.js';

/** Slack message ts ("1690107420.000100") → the instant it was posted. */
export function tsToDate(ts: string): Date {
  const [seconds = '0', fraction = '0'] = ts.split('.');
  return new Date(Number(seconds) * 1000 + Math.floor(Number(fraction.padEnd(6, '0').slice(0, 6)) / 1000));
}

interface MessageRow {
  ts: string;
  user_id: string | null;
  text: string;
  thread_ts: string | null;
}

/** Incident-channel messages captured live from the Events API: the postmortem's raw material. */
export class MessageLog {
  constructor(private readonly db: Queryable) {}

  async record(channelId: string, message: ChannelMessage): Promise<void> {
    await this.recordIfNew(channelId, message);
  }

  /** Like `record`, and says whether it was new (the backfill counts what it added). */
  async recordIfNew(channelId: string, message: ChannelMessage): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO channel_messages (channel_id, ts, user_id, text, thread_ts, posted_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (channel_id, ts) DO NOTHING`,
      [channelId, message.ts, message.userId, message.text, message.threadTs, tsToDate(message.ts)],
    );
    return rowCount === 1;
  }

  /** Every kept message of a channel, oldest first. */
  async list(channelId: string): Promise<ChannelMessage[]> {
    const { rows } = await this.db.query<MessageRow>(
      'SELECT ts, user_id, text, thread_ts FROM channel_messages WHERE channel_id = $1 AND NOT deleted ORDER BY posted_at, ts',
      [channelId],
    );
    return rows.map((row) => ({ ts: row.ts, userId: row.user_id, text: row.text, threadTs: row.thread_ts }));
  }

  /**
   * Slack does not promise event order: an edit or a deletion can arrive before the message
   * itself, so both write the row if it is not there yet, and `record` then leaves it alone.
   */
  async edit(channelId: string, message: ChannelMessage, editedAt: Date): Promise<void> {
    await this.db.query(
      `INSERT INTO channel_messages (channel_id, ts, user_id, text, thread_ts, posted_at, edited_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (channel_id, ts) DO UPDATE SET text = $4, edited_at = $7
       WHERE channel_messages.edited_at IS NULL OR channel_messages.edited_at <= $7`,
      [channelId, message.ts, message.userId, message.text, message.threadTs, tsToDate(message.ts), editedAt],
    );
  }

  async remove(channelId: string, ts: string): Promise<void> {
    await this.db.query(
      `INSERT INTO channel_messages (channel_id, ts, posted_at, deleted) VALUES ($1, $2, $3, true)
       ON CONFLICT (channel_id, ts) DO UPDATE SET deleted = true`,
      [channelId, ts, tsToDate(ts)],
    );
  }

  async find(channelId: string, ts: string): Promise<ChannelMessage | null> {
    const { rows } = await this.db.query<MessageRow>(
      'SELECT ts, user_id, text, thread_ts FROM channel_messages WHERE channel_id = $1 AND ts = $2 AND NOT deleted',
      [channelId, ts],
    );
    const row = rows[0];
    return row ? { ts: row.ts, userId: row.user_id, text: row.text, threadTs: row.thread_ts } : null;
  }
}

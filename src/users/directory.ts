import type { Queryable } from '../store/queryable.js';
import type { SlackGateway, SlackUser } from '../ports/slack.js';

// People rarely change zone mid-incident; a day keeps users.info calls (rate limited) rare.
const DEFAULT_TTL_MS = 24 * 60 * 60 * 1000;
// In front of the table: a busy channel's notes would each read the same row again.
const MEMO_MS = 60_000;
const MEMO_MAX = 5_000;

interface UserRow {
  user_id: string;
  tz: string | null;
  is_bot: boolean;
  deleted: boolean;
}

/**
 * Slack users as the bot needs them (zone, bot, deleted), cached in PostgreSQL for every replica
 * and for a minute in this process.
 */
export class UserDirectory {
  private readonly memo = new Map<string, { user: SlackUser; until: number }>();

  constructor(
    private readonly db: Queryable,
    private readonly slack: SlackGateway,
    private readonly ttlMs = DEFAULT_TTL_MS,
  ) {}

  async get(userId: string): Promise<SlackUser | null> {
    const memo = this.memo.get(userId);
    if (memo && memo.until > Date.now()) return memo.user;
    const user = await this.lookup(userId);
    if (user) this.remember(user);
    return user;
  }

  private remember(user: SlackUser): void {
    this.memo.delete(user.id);
    // Oldest first out: a Map iterates in insertion order.
    if (this.memo.size >= MEMO_MAX) this.memo.delete(this.memo.keys().next().value!);
    this.memo.set(user.id, { user, until: Date.now() + Math.min(MEMO_MS, this.ttlMs) });
  }

  private async lookup(userId: string): Promise<SlackUser | null> {
    const cached = await this.db.query<UserRow>(
      `SELECT * FROM slack_users WHERE user_id = $1 AND fetched_at > now() - make_interval(secs => $2)`,
      [userId, this.ttlMs / 1000],
    );
    const row = cached.rows[0];
    if (row) return { id: row.user_id, tz: row.tz, isBot: row.is_bot, deleted: row.deleted };
    const user = await this.slack.userInfo(userId);
    if (user) {
      await this.db.query(
        `INSERT INTO slack_users (user_id, tz, is_bot, deleted, fetched_at) VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (user_id) DO UPDATE SET tz = $2, is_bot = $3, deleted = $4, fetched_at = now()`,
        [user.id, user.tz, user.isBot, user.deleted],
      );
    }
    return user;
  }

  /**
   * The user's IANA zone from Slack, or null when unknown. A Slack failure here must not block a
   * note: the caller falls back to the team zone and says so.
   */
  async zoneOf(userId: string): Promise<string | null> {
    try {
      return (await this.get(userId))?.tz ?? null;
    } catch {
      return null;
    }
  }
}

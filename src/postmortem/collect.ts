import { SlackApiError, type BotIdentity, type HistoryMessage, type HistoryPage, type SlackGateway } from '../ports/slack.js';
import type { Queryable } from '../store/queryable.js';
import { MessageLog } from '../timeline/messages.js';

// Joins, leaves, topic and name changes are Slack talking, not people: not postmortem material.
const NOT_SPOKEN = new Set([
  'channel_join', 'channel_leave', 'channel_topic', 'channel_purpose', 'channel_name', 'channel_archive',
  'channel_unarchive', 'pinned_item', 'unpinned_item', 'bot_add', 'bot_remove',
]);
const MAX_RATE_LIMIT_WAITS = 50;

export interface BackfillResult {
  calls: number;
  seen: number;
  stored: number;
  rateLimited: number;
}

export interface BackfillDeps {
  slack: SlackGateway;
  db: Queryable;
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Fetches what the live capture missed (the bot was down, an event was lost) with
 * conversations.history and .replies, cursor by cursor, waiting out each 429's Retry-After and
 * asking for the same page again: nothing skipped, and the upsert keeps nothing twice.
 */
export async function backfillChannel(
  deps: BackfillDeps,
  channel: string,
  oldest: string,
  bot: BotIdentity,
): Promise<BackfillResult> {
  const log = new MessageLog(deps.db);
  const sleep = deps.sleep ?? defaultSleep;
  const result: BackfillResult = { calls: 0, seen: 0, stored: 0, rateLimited: 0 };
  const fetchPage = async (read: () => Promise<HistoryPage>): Promise<HistoryPage> => {
    for (;;) {
      result.calls += 1;
      try {
        return await read();
      } catch (error) {
        if (!(error instanceof SlackApiError) || error.retryAfterSeconds === null || result.rateLimited >= MAX_RATE_LIMIT_WAITS) throw error;
        result.rateLimited += 1;
        await sleep(error.retryAfterSeconds * 1000);
      }
    }
  };
  const keep = async (message: HistoryMessage): Promise<void> => {
    result.seen += 1;
    if (message.userId === bot.userId || (bot.botId !== null && message.botId === bot.botId)) return;
    if (message.subtype !== null && NOT_SPOKEN.has(message.subtype)) return;
    if (await log.recordIfNew(channel, message)) result.stored += 1;
  };

  const threads: HistoryMessage[] = [];
  let cursor: string | null = null;
  do {
    const after: string | null = cursor;
    const page = await fetchPage(() => deps.slack.history(channel, { oldest, ...(after ? { cursor: after } : {}) }));
    for (const message of page.messages) {
      await keep(message);
      if (message.replyCount > 0) threads.push(message);
    }
    cursor = page.nextCursor;
  } while (cursor);

  for (const parent of threads) {
    // Only threads the capture has fewer replies of than Slack: the gap, not the whole channel.
    if ((await log.replyCount(channel, parent.ts)) >= parent.replyCount) continue;
    let replyCursor: string | null = null;
    do {
      const after: string | null = replyCursor;
      const page = await fetchPage(() => deps.slack.replies(channel, parent.ts, after ? { cursor: after } : {}));
      for (const reply of page.messages) if (reply.ts !== parent.ts) await keep(reply);
      replyCursor = page.nextCursor;
    } while (replyCursor);
  }
  return result;
}

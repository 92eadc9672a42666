// The backfill at close: what the channel said while the bot was not listening (down, or not yet
// invited), read page by page from Slack and added to what was captured live. A 429 is waited out
// here and the same page asked again, so nothing is skipped and, with the store keyed on
// (channel, ts), nothing is stored twice.
import { SlackApiError, type HistoryMessage, type MessagePage, type PageRequest, type SlackGateway } from '../ports/slack.js';
import type { ChannelMessage } from '../ports/slack.js';
import { compareTs } from './ts.js';

/** Channel bookkeeping Slack posts as messages: not what anyone said about the incident. */
const SYSTEM_SUBTYPES = new Set([
  'channel_join',
  'channel_leave',
  'channel_topic',
  'channel_purpose',
  'channel_name',
  'channel_archive',
  'channel_unarchive',
  'group_join',
  'group_leave',
  'group_topic',
  'group_purpose',
  'pinned_item',
  'unpinned_item',
]);

export interface MessageSink {
  addMissing(channelId: string, messages: readonly ChannelMessage[]): Promise<number>;
}

export interface CollectDeps {
  slack: Pick<SlackGateway, 'history' | 'replies'>;
  store: MessageSink;
  /** Our app's bot user and bot id: its own posts (cards, announcements) are left out. */
  bot: { userId: string; botId: string | null };
  sleep(ms: number): Promise<void>;
  /** 429s in a row on one page before giving up (the outbox then retries the whole effect). */
  maxRateLimitWaits?: number;
  pageSize?: number;
}

export interface BackfillRequest {
  channelId: string;
  /** Only messages after this ts: the newest captured live, else the incident's opening. */
  since: string;
  /** Threads already known to have started before `since`, whose new replies history cannot show. */
  knownThreads: readonly string[];
}

export interface BackfillReport {
  calls: number;
  rateLimited: number;
  waitedMs: number;
  seen: number;
  added: number;
  threads: number;
}

export function isWorthKeeping(m: HistoryMessage, bot: CollectDeps['bot']): boolean {
  if (m.subtype !== null && SYSTEM_SUBTYPES.has(m.subtype)) return false;
  if (m.userId === bot.userId) return false;
  if (bot.botId !== null && m.botId === bot.botId) return false;
  return true;
}

/** Seconds since the epoch as a Slack ts, for "since the incident opened". */
export function dateToTs(date: Date): string {
  const ms = date.getTime();
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000).padStart(6, '0')}`;
}

export async function backfill(deps: CollectDeps, request: BackfillRequest): Promise<BackfillReport> {
  const report: BackfillReport = { calls: 0, rateLimited: 0, waitedMs: 0, seen: 0, added: 0, threads: 0 };
  const maxWaits = deps.maxRateLimitWaits ?? 10;
  const limit = deps.pageSize ?? 200;

  async function page(fetch: (req: PageRequest) => Promise<MessagePage>, req: PageRequest): Promise<MessagePage> {
    for (let waits = 0; ; waits++) {
      report.calls++;
      try {
        return await fetch(req);
      } catch (error) {
        if (!(error instanceof SlackApiError) || error.code !== 'ratelimited' || waits >= maxWaits) throw error;
        report.rateLimited++;
        const ms = (error.retryAfterSeconds ?? 1) * 1000;
        report.waitedMs += ms;
        await deps.sleep(ms);
      }
    }
  }

  async function keep(messages: HistoryMessage[]): Promise<void> {
    const wanted = messages.filter((m) => isWorthKeeping(m, deps.bot) && compareTs(m.ts, request.since) > 0);
    report.seen += wanted.length;
    report.added += await deps.store.addMissing(request.channelId, wanted);
  }

  const threads = new Set(request.knownThreads);
  let cursor: string | undefined;
  do {
    const result = await page((req) => deps.slack.history(request.channelId, req), { oldest: request.since, limit, ...(cursor ? { cursor } : {}) });
    await keep(result.messages);
    for (const m of result.messages) {
      if (m.replyCount > 0 && (m.latestReply === null || compareTs(m.latestReply, request.since) > 0)) threads.add(m.ts);
    }
    cursor = result.nextCursor ?? undefined;
  } while (cursor !== undefined);

  for (const threadTs of [...threads].sort(compareTs)) {
    report.threads++;
    let replyCursor: string | undefined;
    do {
      let result: MessagePage;
      try {
        result = await page((req) => deps.slack.replies(request.channelId, threadTs, req), { oldest: request.since, limit, ...(replyCursor ? { cursor: replyCursor } : {}) });
      } catch (error) {
        // A thread whose parent was deleted has nothing more to give.
        if (error instanceof SlackApiError && error.code === 'thread_not_found') break;
        throw error;
      }
      // The parent comes first on every page; history already had it if it was new.
      await keep(result.messages.filter((m) => m.ts !== threadTs));
      replyCursor = result.nextCursor ?? undefined;
    } while (replyCursor !== undefined);
  }
  return report;
}

import type { webApi } from '@slack/bolt';
import {
  SlackApiError,
  type ChannelMessage,
  type HistoryMessage,
  type MessageMetadata,
  type MessagePage,
  type PageRequest,
  type SlackGateway,
  type SlackMessage,
  type SlackUser,
} from '../ports/slack.js';
import { decodeSlackText } from '../text/mrkdwn.js';

type WebClient = webApi.WebClient;

interface WebClientFailure {
  code?: string;
  data?: { error?: string };
  retryAfter?: number;
  statusCode?: number;
}

/** A WebClient failure as a SlackApiError: Slack's own code, or our name for a transport failure. */
function toSlackError(method: string, error: unknown): SlackApiError {
  if (error instanceof SlackApiError) return error;
  const e = (error ?? {}) as WebClientFailure;
  if (e.data?.error) return new SlackApiError(method, e.data.error);
  switch (e.code) {
    case 'slack_webapi_rate_limited_error':
      return new SlackApiError(method, 'ratelimited', typeof e.retryAfter === 'number' ? e.retryAfter : 1);
    case 'slack_webapi_http_error':
      return new SlackApiError(method, 'http_error');
    case 'slack_webapi_request_error':
      return new SlackApiError(method, 'request_error');
  }
  return new SlackApiError(method, error instanceof Error ? error.message : String(error));
}

async function call<T>(method: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toSlackError(method, error);
  }
}

interface RawMessage {
  ts?: string;
  user?: string;
  text?: string;
  thread_ts?: string;
  subtype?: string;
  bot_id?: string;
  reply_count?: number;
  metadata?: { event_type?: string; event_payload?: Record<string, unknown> };
  files?: { id?: string }[];
}

// Message text from the Web API is Slack-encoded, as in events: decoded here, at the edge.
function toChannelMessage(raw: RawMessage | undefined, ts: string): ChannelMessage | null {
  if (!raw || raw.ts !== ts) return null;
  return { ts, userId: raw.user ?? null, text: decodeSlackText(raw.text ?? ''), threadTs: raw.thread_ts ?? null };
}

function content(message: SlackMessage): { text: string; blocks?: webApi.KnownBlock[] } {
  return { text: message.text, ...(message.blocks ? { blocks: message.blocks as unknown as webApi.KnownBlock[] } : {}) };
}

// How far back a retry looks for its own earlier post: effects are delivered in order per channel,
// so a post that landed before a crash is among the newest messages.
const RECENT_HISTORY = 100;
// A text file of a few megabytes at most: longer than this, Slack's upload service is not answering.
const UPLOAD_TIMEOUT_MS = 30_000;

/** SlackGateway over Bolt's WebClient: the domain's only way to Slack. */
export function webClientGateway(client: WebClient): SlackGateway {
  return {
    async createChannel(name) {
      const result = await call('conversations.create', () => client.conversations.create({ name, is_private: false }));
      return { id: result.channel?.id ?? '', name: result.channel?.name ?? name };
    },
    async archiveChannel(channel) {
      try {
        await client.conversations.archive({ channel });
      } catch (error) {
        const failure = toSlackError('conversations.archive', error);
        if (failure.code !== 'already_archived') throw failure;
      }
    },
    async invite(channel, users) {
      try {
        // force: one person already in the channel must not stop the others from being invited.
        await client.conversations.invite({ channel, users: users.join(','), force: true });
      } catch (error) {
        // Being there already is the outcome we wanted.
        const failure = toSlackError('conversations.invite', error);
        if (failure.code !== 'already_in_channel') throw failure;
      }
    },
    async setTopic(channel, topic) {
      await call('conversations.setTopic', () => client.conversations.setTopic({ channel, topic }));
    },
    async postMessage(channel, message, metadata?: MessageMetadata) {
      const result = await call('chat.postMessage', () =>
        client.chat.postMessage({
          channel,
          ...content(message),
          ...(metadata ? { metadata: { event_type: metadata.eventType, event_payload: metadata.payload } } : {}),
        }),
      );
      return { ts: result.ts ?? '', channel: result.channel ?? channel };
    },
    async findPostedByKey(channel, eventType, key) {
      const history = await call('conversations.history', () =>
        client.conversations.history({ channel, limit: RECENT_HISTORY, include_all_metadata: true }),
      );
      const found = (history.messages as RawMessage[] | undefined)?.find(
        (m) => m.metadata?.event_type === eventType && m.metadata.event_payload?.['key'] === key,
      );
      return found?.ts ? { ts: found.ts } : null;
    },
    async findChannelByName(name) {
      let cursor: string | undefined;
      do {
        const page = await call('conversations.list', () =>
          client.conversations.list({ types: 'public_channel', exclude_archived: false, limit: 1000, ...(cursor ? { cursor } : {}) }),
        );
        const found = page.channels?.find((c) => c.name === name);
        if (found?.id) return { id: found.id, name, isArchived: Boolean(found.is_archived) };
        cursor = page.response_metadata?.next_cursor || undefined;
      } while (cursor);
      return null;
    },
    async openDm(user) {
      const result = await call('conversations.open', () => client.conversations.open({ users: user }));
      return result.channel?.id ?? '';
    },
    async updateMessage(channel, ts, message: SlackMessage) {
      await call('chat.update', () => client.chat.update({ channel, ts, ...content(message) }));
    },
    async postEphemeral(channel, user, message: SlackMessage) {
      await call('chat.postEphemeral', () => client.chat.postEphemeral({ channel, user, ...content(message) }));
    },
    async userInfo(user): Promise<SlackUser | null> {
      try {
        const result = await client.users.info({ user });
        const info = result.user;
        if (!info?.id) return null;
        return { id: info.id, tz: info.tz ?? null, isBot: Boolean(info.is_bot), deleted: Boolean(info.deleted) };
      } catch (error) {
        const failure = toSlackError('users.info', error);
        if (failure.code === 'user_not_found') return null;
        throw failure;
      }
    },
    async fetchMessage(channel, ts) {
      const history = await call('conversations.history', () =>
        client.conversations.history({ channel, latest: ts, oldest: ts, inclusive: true, limit: 1 }),
      );
      const top = toChannelMessage(history.messages?.[0], ts);
      if (top) return top;
      // Not top-level: it may be a thread reply, which only conversations.replies returns.
      const replies = await call('conversations.replies', () =>
        client.conversations.replies({ channel, ts, latest: ts, oldest: ts, inclusive: true, limit: 1 }),
      );
      return toChannelMessage(replies.messages?.find((m) => m.ts === ts), ts);
    },
    async usergroupMembers(usergroup) {
      const result = await call('usergroups.users.list', () => client.usergroups.users.list({ usergroup }));
      return result.users ?? [];
    },
    async openModal(trigger_id, view) {
      await call('views.open', () => client.views.open({ trigger_id, view: view as unknown as webApi.View }));
    },
    async history(channel, page) {
      const result = await call('conversations.history', () => client.conversations.history({ channel, ...pageArgs(page) }));
      return toPage(result.messages as RawHistoryMessage[] | undefined, result.response_metadata?.next_cursor);
    },
    async replies(channel, ts, page) {
      const result = await call('conversations.replies', () => client.conversations.replies({ channel, ts, ...pageArgs(page) }));
      return toPage(result.messages as RawHistoryMessage[] | undefined, result.response_metadata?.next_cursor);
    },
    async startUpload(filename, length) {
      const result = await call('files.getUploadURLExternal', () => client.files.getUploadURLExternal({ filename, length }));
      if (!result.file_id || !result.upload_url) throw new SlackApiError('files.getUploadURLExternal', 'invalid_response');
      return { fileId: result.file_id, uploadUrl: result.upload_url };
    },
    async sendUpload(uploadUrl, bytes) {
      let response: Response;
      try {
        response = await fetch(uploadUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream' },
          body: bytes,
          signal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS),
        });
      } catch {
        throw new SlackApiError('upload_url', 'request_error');
      }
      await response.arrayBuffer();
      if (response.status >= 500) throw new SlackApiError('upload_url', 'http_error');
      if (response.status !== 200) throw new SlackApiError('upload_url', 'upload_rejected');
    },
    async completeUpload(fileId, share) {
      await call('files.completeUploadExternal', () =>
        client.files.completeUploadExternal({
          files: [{ id: fileId, title: share.title }],
          channel_id: share.channelId,
          ...(share.initialComment !== undefined ? { initial_comment: share.initialComment } : {}),
          ...(share.threadTs !== undefined ? { thread_ts: share.threadTs } : {}),
        }),
      );
    },
    async findFileShare(channel, fileId) {
      const history = await call('conversations.history', () => client.conversations.history({ channel, limit: RECENT_HISTORY }));
      const found = (history.messages as RawMessage[] | undefined)?.find((m) => m.files?.some((f) => f.id === fileId));
      return found?.ts ? { ts: found.ts } : null;
    },
    async joinChannel(channel) {
      await call('conversations.join', () => client.conversations.join({ channel }));
    },
    async createCanvas(channel_id, title, markdown) {
      const result = await call('canvases.create', () =>
        client.canvases.create({ channel_id, title, document_content: { type: 'markdown', markdown } }),
      );
      return { canvasId: result.canvas_id ?? '' };
    },
    async identity() {
      const result = await call('auth.test', () => client.auth.test());
      return { userId: result.user_id ?? '', botId: result.bot_id ?? null, workspaceUrl: result.url ? result.url.replace(/\/+$/, '') : null };
    },
  };
}

interface RawHistoryMessage extends RawMessage {
  subtype?: string;
  bot_id?: string;
  reply_count?: number;
  latest_reply?: string;
}

function pageArgs(page: PageRequest): { oldest?: string; cursor?: string; limit: number } {
  return {
    limit: page.limit ?? 200,
    ...(page.oldest !== undefined ? { oldest: page.oldest } : {}),
    ...(page.cursor !== undefined ? { cursor: page.cursor } : {}),
  };
}

function toPage(raw: RawHistoryMessage[] | undefined, nextCursor: string | undefined): MessagePage {
  const messages: HistoryMessage[] = (raw ?? [])
    .filter((m): m is RawHistoryMessage & { ts: string } => typeof m.ts === 'string')
    .map((m) => ({
      ts: m.ts,
      userId: m.user ?? null,
      text: decodeSlackText(m.text ?? ''),
      threadTs: m.thread_ts ?? null,
      subtype: m.subtype ?? null,
      botId: m.bot_id ?? null,
      replyCount: m.reply_count ?? 0,
      latestReply: m.latest_reply ?? null,
    }));
  return { messages, nextCursor: nextCursor !== undefined && nextCursor !== '' ? nextCursor : null };
}

import type { webApi } from '@slack/bolt';
import { SlackApiError, type ChannelMessage, type SlackGateway, type SlackMessage, type SlackUser } from '../ports/slack.js';
import { decodeSlackText } from '../text/mrkdwn.js';

type WebClient = webApi.WebClient;

interface PlatformError {
  code?: string;
  data?: { error?: string };
}

/** Slack's own error code from a WebClient failure (`name_taken`, `ratelimited`, …). */
function codeOf(error: unknown): string {
  const e = error as PlatformError;
  if (e?.data?.error) return e.data.error;
  if (e?.code === 'slack_webapi_rate_limited_error') return 'ratelimited';
  return error instanceof Error ? error.message : String(error);
}

async function call<T>(method: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw new SlackApiError(method, codeOf(error));
  }
}

interface RawMessage {
  ts?: string;
  user?: string;
  text?: string;
  thread_ts?: string;
}

// Message text from the Web API is Slack-encoded, as in events: decoded here, at the edge.
function toChannelMessage(raw: RawMessage | undefined, ts: string): ChannelMessage | null {
  if (!raw || raw.ts !== ts) return null;
  return { ts, userId: raw.user ?? null, text: decodeSlackText(raw.text ?? ''), threadTs: raw.thread_ts ?? null };
}

/** SlackGateway over Bolt's WebClient: the domain's only way to Slack. */
export function webClientGateway(client: WebClient): SlackGateway {
  return {
    async createChannel(name) {
      const result = await call('conversations.create', () => client.conversations.create({ name, is_private: false }));
      return { id: result.channel?.id ?? '', name: result.channel?.name ?? name };
    },
    async archiveChannel(channel) {
      await call('conversations.archive', () => client.conversations.archive({ channel }));
    },
    async invite(channel, users) {
      try {
        // force: one person already in the channel must not stop the others from being invited.
        await client.conversations.invite({ channel, users: users.join(','), force: true });
      } catch (error) {
        // Being there already is the outcome we wanted.
        if (codeOf(error) !== 'already_in_channel') throw new SlackApiError('conversations.invite', codeOf(error));
      }
    },
    async setTopic(channel, topic) {
      await call('conversations.setTopic', () => client.conversations.setTopic({ channel, topic }));
    },
    async postMessage(channel, message: SlackMessage) {
      const result = await call('chat.postMessage', () =>
        client.chat.postMessage({ channel, text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) }),
      );
      return { ts: result.ts ?? '' };
    },
    async updateMessage(channel, ts, message: SlackMessage) {
      await call('chat.update', () =>
        client.chat.update({ channel, ts, text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) }),
      );
    },
    async postEphemeral(channel, user, message: SlackMessage) {
      await call('chat.postEphemeral', () =>
        client.chat.postEphemeral({ channel, user, text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) }),
      );
    },
    async userInfo(user): Promise<SlackUser | null> {
      try {
        const result = await client.users.info({ user });
        const info = result.user;
        if (!info?.id) return null;
        return { id: info.id, tz: info.tz ?? null, isBot: Boolean(info.is_bot), deleted: Boolean(info.deleted) };
      } catch (error) {
        if (codeOf(error) === 'user_not_found') return null;
        throw new SlackApiError('users.info', codeOf(error));
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
    async openModal(trigger_id, view) {
      await call('views.open', () => client.views.open({ trigger_id, view: view as unknown as webApi.View }));
    },
  };
}

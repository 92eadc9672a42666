/**
 * What the domain needs from Slack, and nothing more. The Bolt-backed implementation lives in
 * src/slack/gateway.ts; tests of the domain can pass anything with this shape.
 */
export type Block = { type: string } & Record<string, unknown>;

export interface SlackMessage {
  text: string;
  blocks?: Block[];
}

export interface SlackUser {
  id: string;
  tz: string | null;
  isBot: boolean;
  deleted: boolean;
}

export interface ChannelMessage {
  ts: string;
  userId: string | null;
  text: string;
  threadTs: string | null;
}

/** A Slack Web API error, carrying Slack's error code (`name_taken`, `not_in_channel`, …). */
export class SlackApiError extends Error {
  override readonly name = 'SlackApiError';
  constructor(
    readonly method: string,
    readonly code: string,
  ) {
    super(`Slack ${method} failed: ${code}`);
  }
}

export interface SlackGateway {
  createChannel(name: string): Promise<{ id: string; name: string }>;
  archiveChannel(channelId: string): Promise<void>;
  invite(channelId: string, userIds: string[]): Promise<void>;
  setTopic(channelId: string, topic: string): Promise<void>;
  postMessage(channelId: string, message: SlackMessage): Promise<{ ts: string }>;
  updateMessage(channelId: string, ts: string, message: SlackMessage): Promise<void>;
  postEphemeral(channelId: string, userId: string, message: SlackMessage): Promise<void>;
  /** null when Slack says the user does not exist. */
  userInfo(userId: string): Promise<SlackUser | null>;
  /** One message by its ts, top-level or in a thread; null when it is gone. */
  fetchMessage(channelId: string, ts: string): Promise<ChannelMessage | null>;
  openModal(triggerId: string, view: Record<string, unknown>): Promise<void>;
}

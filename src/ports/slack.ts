/**
 * What the domain needs from Slack, and nothing more. The Bolt-backed implementation lives in
 * src/slack/gateway.ts; tests of the domain can pass anything with this shape.
 */
export type Block = { type: string } & Record<string, unknown>;

export interface SlackMessage {
  text: string;
  blocks?: Block[];
}

/** Slack message metadata: Firebreak marks each post with its outbox key, so a retry can find it. */
export interface MessageMetadata {
  eventType: string;
  payload: Record<string, string | number | boolean>;
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

// Slack's own words for "try again later", and our transport's (no answer, 5xx).
const TRANSIENT_CODES = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'http_error',
  'request_error',
]);

/** A Slack Web API error, carrying Slack's error code (`name_taken`, `not_in_channel`, …). */
export class SlackApiError extends Error {
  override readonly name = 'SlackApiError';
  constructor(
    readonly method: string,
    readonly code: string,
    /** Seconds Slack asked us to wait (429 Retry-After), when it did. */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(`Slack ${method} failed: ${code}`);
  }

  /** True when the same call may succeed later; false when Slack refused it for good. */
  get transient(): boolean {
    return TRANSIENT_CODES.has(this.code);
  }
}

/** Slack's error code of a failure, or its message when it is not a Slack error. */
export function slackErrorCode(error: unknown): string {
  return error instanceof SlackApiError ? error.code : error instanceof Error ? error.message : String(error);
}

export interface SlackGateway {
  createChannel(name: string): Promise<{ id: string; name: string }>;
  archiveChannel(channelId: string): Promise<void>;
  invite(channelId: string, userIds: string[]): Promise<void>;
  setTopic(channelId: string, topic: string): Promise<void>;
  postMessage(channelId: string, message: SlackMessage, metadata?: MessageMetadata): Promise<{ ts: string; channel: string }>;
  /** The newest message in the channel's recent history carrying this metadata key, if any. */
  findPostedByKey(channelId: string, eventType: string, key: string): Promise<{ ts: string } | null>;
  /** A public channel by its exact name, or null. */
  findChannelByName(name: string): Promise<{ id: string; name: string; isArchived: boolean } | null>;
  /** The DM channel with a user (conversations.open). */
  openDm(userId: string): Promise<string>;
  updateMessage(channelId: string, ts: string, message: SlackMessage): Promise<void>;
  postEphemeral(channelId: string, userId: string, message: SlackMessage): Promise<void>;
  /** null when Slack says the user does not exist. */
  userInfo(userId: string): Promise<SlackUser | null>;
  /** One message by its ts, top-level or in a thread; null when it is gone. */
  fetchMessage(channelId: string, ts: string): Promise<ChannelMessage | null>;
  openModal(triggerId: string, view: Record<string, unknown>): Promise<void>;
  /** The members of a usergroup (S…) now (usergroups.users.list). */
  usergroupMembers(usergroupId: string): Promise<string[]>;
  /** One page of a channel's top-level messages (conversations.history), newest first. */
  history(channelId: string, page: PageRequest): Promise<MessagePage>;
  /** One page of a thread, parent first (conversations.replies). */
  replies(channelId: string, threadTs: string, page: PageRequest): Promise<MessagePage>;
  /** files.getUploadURLExternal: a file of `length` bytes, invisible until it is completed. */
  startUpload(filename: string, length: number): Promise<PendingUpload>;
  /** The file's bytes, POSTed to its upload URL (SlackApiError `upload_rejected` on a 4xx). */
  sendUpload(uploadUrl: string, bytes: Uint8Array): Promise<void>;
  /** files.completeUploadExternal: the uploaded file shared into a channel as one file_share message. */
  completeUpload(fileId: string, share: FileShare): Promise<void>;
  /** The newest message in the channel's recent history that shares this file, if any. */
  findFileShare(channelId: string, fileId: string): Promise<{ ts: string } | null>;
  /** conversations.join: a public channel the bot has to be in (to share a file there). */
  joinChannel(channelId: string): Promise<void>;
  /** A channel canvas from Markdown (canvases.create): the canvas id. */
  createCanvas(channelId: string, title: string, markdown: string): Promise<{ canvasId: string }>;
  /** Who the bot is in this workspace (auth.test): to tell its own posts apart, and to link messages. */
  identity(): Promise<BotIdentity>;
}

export interface BotIdentity {
  userId: string;
  botId: string | null;
  /** `https://acme.slack.com` */
  workspaceUrl: string | null;
}

export interface PageRequest {
  /** Only messages after this ts (exclusive). */
  oldest?: string;
  cursor?: string;
  limit?: number;
}

/** A message as history and replies return it, with what tells the bot's own and system posts apart. */
export interface HistoryMessage extends ChannelMessage {
  subtype: string | null;
  botId: string | null;
  replyCount: number;
  latestReply: string | null;
}

export interface MessagePage {
  messages: HistoryMessage[];
  /** null on the last page. */
  nextCursor: string | null;
}

export interface PendingUpload {
  fileId: string;
  uploadUrl: string;
}

export interface FileShare {
  channelId: string;
  title: string;
  initialComment?: string;
  threadTs?: string;
}

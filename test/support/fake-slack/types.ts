// Shapes kept by the fake Slack workspace. Field names follow Slack's own JSON, so a record
// can be returned by the Web API as it is (see `toApiMessage` for the one field we strip).

export interface UserSpec {
  id: string;
  name: string;
  /** IANA zone, as Slack's `users.info` reports it. */
  tz: string;
  real_name?: string;
  display_name?: string;
  is_bot?: boolean;
  deleted?: boolean;
}

export interface FakeUser {
  id: string;
  team_id: string;
  name: string;
  real_name: string;
  deleted: boolean;
  is_bot: boolean;
  is_app_user: boolean;
  tz: string;
  tz_label: string;
  tz_offset: number;
  updated: number;
  profile: { display_name: string; real_name: string; display_name_normalized: string; real_name_normalized: string };
}

export interface TextValue {
  value: string;
  creator: string;
  last_set: number;
}

export interface FakeChannel {
  id: string;
  name: string;
  is_channel: boolean;
  is_group: boolean;
  is_im: boolean;
  is_mpim: boolean;
  is_private: boolean;
  is_archived: boolean;
  is_general: boolean;
  created: number;
  creator: string;
  name_normalized: string;
  topic: TextValue;
  purpose: TextValue;
  /** The other party of an IM. */
  user?: string;
}

export interface Reaction {
  name: string;
  users: string[];
  count: number;
}

export interface FileInfo {
  id: string;
  name: string;
  title: string;
  mimetype: string;
  filetype: string;
  size: number;
  created: number;
  timestamp: number;
  user: string;
  url_private: string;
  permalink: string;
}

export interface FakeMessage {
  type: 'message';
  /** Kept for inspection; not part of Slack's message JSON, stripped by the API. */
  channel: string;
  ts: string;
  text: string;
  user?: string;
  bot_id?: string;
  app_id?: string;
  team?: string;
  subtype?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  thread_ts?: string;
  reply_count?: number;
  reply_users?: string[];
  reply_users_count?: number;
  latest_reply?: string;
  edited?: { user: string; ts: string };
  files?: FileInfo[];
  upload?: boolean;
  /** Message metadata as chat.postMessage took it; history shows it only with include_all_metadata. */
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  reactions?: Reaction[];
  pinned_to?: string[];
  /** On a `channel_join` message: who invited the user. */
  inviter?: string;
}

export interface ApiCall {
  method: string;
  /** Arguments as sent, with JSON-encoded values (`blocks`, `view`, `files`, …) parsed, token removed. */
  args: Record<string, unknown>;
  /** Fake clock, milliseconds. */
  time: number;
  status: number;
  ok: boolean;
  error?: string;
}

export interface EphemeralRecord {
  channel: string;
  user: string;
  text: string;
  blocks?: unknown[];
  message_ts: string;
  thread_ts?: string;
  /**
   * `api`: chat.postEphemeral; `response_url`: an ephemeral reply through a response_url;
   * `ack`: the body of a slash command's HTTP answer (recorded by SlackDriver).
   */
  source: 'api' | 'response_url' | 'ack';
  time: number;
}

export interface ResponseUrlContext {
  channelId?: string;
  userId?: string;
  /** The message a block action came from: `replace_original` / `delete_original` act on it. */
  messageTs?: string;
}

export interface ResponseRecord {
  responseUrlId: string;
  body: Record<string, unknown>;
  time: number;
  context: ResponseUrlContext;
}

export interface UploadedFile {
  id: string;
  filename: string;
  title: string;
  declaredLength: number;
  content?: Buffer;
  completed: boolean;
  channel?: string;
  ts?: string;
  initial_comment?: string;
  created: number;
}

export interface SharedFile {
  id: string;
  name: string;
  title: string;
  /** Uploaded bytes decoded as UTF-8. */
  content: string;
  size: number;
  channel: string;
  ts: string;
  initial_comment?: string;
}

export interface FakeView {
  id: string;
  team_id: string;
  type: string;
  title?: unknown;
  submit?: unknown;
  close?: unknown;
  blocks: unknown[];
  callback_id: string;
  private_metadata: string;
  external_id: string;
  state: { values: Record<string, unknown> };
  hash: string;
  root_view_id: string;
  previous_view_id: string | null;
  app_id: string;
  bot_id: string;
  clear_on_close: boolean;
  notify_on_close: boolean;
}

export interface OpenedView {
  id: string;
  userId: string;
  triggerId: string;
  /** `open` or `push`. */
  how: 'open' | 'push';
  view: FakeView;
  time: number;
  updates: number;
}

export interface ReactionAddedEvent {
  type: 'reaction_added';
  user: string;
  reaction: string;
  item_user?: string;
  item: { type: 'message'; channel: string; ts: string };
  event_ts: string;
}

export interface PinAddedEvent {
  type: 'pin_added';
  user: string;
  channel_id: string;
  item: { type: 'message'; channel: string; created: number; created_by: string; message: Record<string, unknown> };
  event_ts: string;
}

export interface MessageEvent {
  type: 'message';
  channel: string;
  channel_type: 'channel' | 'group' | 'im' | 'mpim';
  user?: string;
  text: string;
  ts: string;
  event_ts: string;
  team?: string;
  subtype?: string;
  thread_ts?: string;
  blocks?: unknown[];
  bot_id?: string;
  files?: FileInfo[];
}

/** Everything a test can observe happening: `waitFor` predicates re-run on each change. */
export type ChangeListener = () => void;

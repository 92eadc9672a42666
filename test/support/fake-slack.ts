// A faithful fake of the Slack Web API on loopback, for tests. Point the bot at `fake.apiUrl`
// (SLACK_API_URL / Bolt's clientOptions.slackApiUrl) and drive it with SlackDriver over HTTP, or
// give it `fake.appToken` (SLACK_APP_TOKEN) and drive it over Socket Mode with `send…OverSocket`.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addReaction } from './fake-slack/methods/chat.js';
import { Injections, createRequestHandler } from './fake-slack/server.js';
import {
  SocketModeServer, type AckResult, type DeliverOptions, type DisconnectReason, type SocketCommandResult,
  type SocketConnectionInfo, type SocketEventOptions, type SocketEventResult, type SocketMessageRecord,
  type SocketModeSettings, type SocketSlashCommandInput,
} from './fake-slack/socket-mode.js';
import { SYSTEM_SUBTYPES, SlackState, toApiMessage, type ChannelRecord, type Identity } from './fake-slack/state.js';
import type {
  ApiCall, EphemeralRecord, FakeChannel, FakeMessage, FakeUser, MessageEvent, OpenedView, PinAddedEvent,
  ReactionAddedEvent, ResponseRecord, ResponseUrlContext, SharedFile, UserSpec,
} from './fake-slack/types.js';

export type * from './fake-slack/types.js';
export type {
  AckResult, DeliverOptions, DisconnectReason, SocketCommandResult, SocketConnectionInfo, SocketEventOptions,
  SocketEventResult, SocketMessageRecord, SocketModeSettings, SocketSlashCommandInput,
} from './fake-slack/socket-mode.js';
export type { CloseInfo } from './fake-slack/websocket.js';

export interface FakeSlackOptions {
  /** The workspace clock in ms (message ts, trigger expiry, channel `created`). Default `Date.now`. */
  now?: () => number;
  botToken?: string;
  /** The app-level token `apps.connections.open` takes. */
  appToken?: string;
  teamId?: string;
  teamDomain?: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
  botName?: string;
  socketMode?: SocketModeSettings;
}

export interface AddChannelSpec {
  name: string;
  /** User ids; include `fake.botUserId` for a channel the bot is already in. */
  members?: string[];
  is_private?: boolean;
  is_archived?: boolean;
  topic?: string;
  creator?: string;
}

export interface PostAsUserOptions {
  thread_ts?: string;
  blocks?: unknown[];
}

export type ChannelSnapshot = FakeChannel & { members: string[] };

type Found<T> = Exclude<T, undefined | null | false>;

export class FakeSlack {
  readonly url: string;
  readonly apiUrl: string;
  private readonly injections = new Injections();
  private readonly socketMode: SocketModeServer;

  constructor(
    private readonly server: Server,
    private readonly state: SlackState,
    socketMode: SocketModeSettings = {},
  ) {
    this.url = state.id.url;
    this.apiUrl = `${state.id.url}/api/`;
    this.socketMode = new SocketModeServer(state, socketMode);
    server.on('request', createRequestHandler(state, this.injections));
    server.on('upgrade', (req, socket, head) => this.socketMode.handleUpgrade(req, socket, head));
  }

  get botToken(): string { return this.state.id.botToken; }
  get appToken(): string { return this.state.id.appToken; }
  get teamId(): string { return this.state.id.teamId; }
  get teamDomain(): string { return this.state.id.teamDomain; }
  get botUserId(): string { return this.state.id.botUserId; }
  get botId(): string { return this.state.id.botId; }
  get appId(): string { return this.state.id.appId; }

  now(): number {
    return this.state.now();
  }

  async close(): Promise<void> {
    this.socketMode.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  // ── workspace set-up ─────────────────────────────────────────────────────────────────────

  addUser(spec: UserSpec): FakeUser {
    return structuredClone(this.state.addUser(spec));
  }

  addUsergroup(id: string, userIds: readonly string[]): void {
    this.state.usergroups.set(id, [...userIds]);
    this.state.changed();
  }

  /** A channel that exists before the test (for `name_taken`, or a channel to type commands in). */
  addChannel(spec: AddChannelSpec): ChannelSnapshot {
    if (this.state.findChannel(spec.name) !== undefined) throw new Error(`fake-slack: channel #${spec.name} already exists`);
    const record = this.state.createChannel({
      name: spec.name, isPrivate: spec.is_private ?? false, creator: spec.creator ?? spec.members?.[0] ?? 'USLACKBOT', members: spec.members ?? [],
    });
    if (spec.topic !== undefined) record.info.topic = { value: spec.topic, creator: record.info.creator, last_set: record.info.created };
    record.info.is_archived = spec.is_archived ?? false;
    return snapshot(record);
  }

  /** A person posts in a channel (joining it first if needed); send `messageEvent(msg)` to tell the bot. */
  postAsUser(channel: string, user: string, text: string, opts: PostAsUserOptions = {}): FakeMessage {
    const record = this.requireChannel(channel);
    if (!this.state.users.has(user)) throw new Error(`fake-slack: unknown user ${user}: addUser first`);
    this.state.join(record, user);
    return structuredClone(this.state.addMessage(record, {
      user, text, team: this.teamId,
      ...(opts.thread_ts !== undefined ? { thread_ts: opts.thread_ts } : {}),
      ...(opts.blocks !== undefined ? { blocks: opts.blocks } : {}),
    }));
  }

  /** A person adds a reaction; returns the `reaction_added` event to send with `driver.event`. */
  reactAsUser(channel: string, ts: string, user: string, reaction: string): ReactionAddedEvent {
    const { record, message } = this.requireMessage(channel, ts);
    addReaction(message, user, reaction);
    this.state.changed();
    return {
      type: 'reaction_added', user, reaction, item: { type: 'message', channel: record.info.id, ts },
      ...(message.user !== undefined ? { item_user: message.user } : {}), event_ts: this.state.nextTs(),
    };
  }

  /** A person pins a message; returns the `pin_added` event to send with `driver.event`. */
  pinAsUser(channel: string, ts: string, user: string): PinAddedEvent {
    const { record, message } = this.requireMessage(channel, ts);
    if (!message.pinned_to?.includes(record.info.id)) message.pinned_to = [...(message.pinned_to ?? []), record.info.id];
    this.state.changed();
    return {
      type: 'pin_added', user, channel_id: record.info.id, event_ts: this.state.nextTs(),
      item: { type: 'message', channel: record.info.id, created: this.state.nowSec(), created_by: user, message: toApiMessage(message) },
    };
  }

  /** The Events API `message` event for a stored message. */
  messageEvent(message: FakeMessage): MessageEvent {
    const info = this.requireChannel(message.channel).info;
    const channelType = info.is_im ? 'im' : info.is_mpim ? 'mpim' : info.is_private ? 'group' : 'channel';
    const { type: _type, channel, ts, text, user, subtype, thread_ts, blocks, bot_id, files, team } = message;
    return {
      type: 'message', channel, channel_type: channelType, text, ts, event_ts: ts,
      ...(user !== undefined ? { user } : {}), ...(team !== undefined ? { team } : {}),
      ...(subtype !== undefined ? { subtype } : {}), ...(thread_ts !== undefined ? { thread_ts } : {}),
      ...(blocks !== undefined ? { blocks } : {}), ...(bot_id !== undefined ? { bot_id } : {}),
      ...(files !== undefined ? { files } : {}),
    };
  }

  /** A trigger_id views.open accepts for 3 s (fake clock). The driver issues one per interaction. */
  issueTrigger(userId: string): string {
    return this.state.issueTrigger(userId);
  }

  /** A response_url (`{url}/response/<id>`) whose posts are recorded and acted on. */
  issueResponseUrl(context: ResponseUrlContext = {}): { id: string; url: string } {
    return this.state.issueResponseUrl(context);
  }

  /**
   * What Slack shows for a slash command's HTTP answer body (`{ text, blocks, response_type }`):
   * an ephemeral (`source: 'ack'`) or, `in_channel`, a message. SlackDriver calls this.
   */
  recordAckReply(context: ResponseUrlContext, body: Record<string, unknown>): void {
    this.state.applyReply(context, body, 'ack');
  }

  // ── Socket Mode ──────────────────────────────────────────────────────────────────────────

  /** A slash command over the socket; the ack's payload is the user's answer (recorded like an HTTP body). */
  sendSlashCommandOverSocket(input: SocketSlashCommandInput, opts: DeliverOptions = {}): Promise<SocketCommandResult> {
    return this.socketMode.slashCommand(input, opts);
  }

  /** An `events_api` envelope; pass the first delivery's `eventId` and `retryAttempt: 1` for a redelivery. */
  sendEventOverSocket(event: object, opts: SocketEventOptions = {}): Promise<SocketEventResult> {
    return this.socketMode.event(event, opts);
  }

  /** An `interactive` envelope (block_actions, view_submission, …) carrying `payload` as it is. */
  sendInteractiveOverSocket(payload: Record<string, unknown>, opts: DeliverOptions = {}): Promise<AckResult> {
    return this.socketMode.interactive(payload, opts);
  }

  /** Sends `type: disconnect` to every connection, as Slack does before it recycles one. */
  requestSocketReconnect(reason: DisconnectReason = 'refresh_requested'): void {
    this.socketMode.requestReconnect(reason);
  }

  /** Cuts every Socket Mode connection without a closing handshake. */
  dropSocketConnections(): void {
    this.socketMode.dropConnections();
  }

  socketConnections(): SocketConnectionInfo[] {
    return this.socketMode.connectionsInfo();
  }

  /** Every Socket Mode message, both ways, in order (hello, envelopes, acks, disconnects). */
  socketMessages(): SocketMessageRecord[] {
    return this.socketMode.messageLog();
  }

  /** An open connection that takes envelopes (the newest, after a reconnect). */
  socketConnected(timeoutMs = 5000): Promise<SocketConnectionInfo> {
    return this.waitFor(
      () => this.socketConnections().reverse().find((c) => c.closedAt === null && !c.retiring),
      timeoutMs, 'a Socket Mode connection',
    );
  }

  /** Resolves once no Socket Mode connection is open, with the one that closed last. */
  socketClosed(timeoutMs = 5000): Promise<SocketConnectionInfo> {
    return this.waitFor(() => {
      const all = this.socketConnections();
      if (all.length === 0 || all.some((c) => c.closedAt === null)) return undefined;
      return all.sort((a, b) => (a.closedAt ?? 0) - (b.closedAt ?? 0)).at(-1);
    }, timeoutMs, 'every Socket Mode connection to close');
  }

  // ── failure injection ────────────────────────────────────────────────────────────────────

  /** The next `times` calls of `method` answer `{ ok: false, error }`. */
  failNext(method: string, error: string, times = 1): void {
    this.injections.failNext(method, error, times);
  }

  /** The next `times` calls of `method` answer HTTP 429 with `Retry-After: retryAfterSeconds`. */
  /** Every Web API call answers HTTP 500 for the next `forMs` (real time). */
  outage(forMs: number): void {
    this.injections.outageUntil = Date.now() + forMs;
  }

  /** Every call naming `channel` gets 429 with this Retry-After for the next `forMs` (real time). */
  throttleChannel(channel: string, retryAfterSeconds: number, forMs: number): void {
    this.injections.throttleChannel(channel, retryAfterSeconds, Date.now() + forMs);
  }

  rateLimitNext(method: string, retryAfterSeconds: number, times = 1): void {
    this.injections.rateLimitNext(method, retryAfterSeconds, times);
  }

  /** Every call of `method` waits `ms` before answering (0 to stop). */
  delay(method: string, ms: number): void {
    this.injections.delays.set(method, ms);
  }

  // ── inspection ───────────────────────────────────────────────────────────────────────────

  calls(method?: string): ApiCall[] {
    return structuredClone(this.state.calls.filter((c) => method === undefined || c.method === method));
  }

  /** Messages in ts order, thread replies included; Slack's join/topic/archive notices only if asked. */
  messages(channel: string, opts: { includeSystem?: boolean } = {}): FakeMessage[] {
    const record = this.state.findChannel(channel);
    if (record === undefined) return [];
    return structuredClone(record.messages.filter((m) => opts.includeSystem === true || !SYSTEM_SUBTYPES.has(m.subtype ?? '')));
  }

  channel(idOrName: string): ChannelSnapshot | undefined {
    const record = this.state.findChannel(idOrName);
    return record === undefined ? undefined : snapshot(record);
  }

  channels(): ChannelSnapshot[] {
    return [...this.state.channels.values()].map(snapshot);
  }

  members(channel: string): string[] {
    return [...(this.state.findChannel(channel)?.members ?? [])];
  }

  /** The id of the bot's IM with `userId`, once one was opened (a page is a DM). */
  imWith(userId: string): string | undefined {
    return [...this.state.channels.values()].find((r) => r.info.is_im && r.info.user === userId)?.info.id;
  }

  user(id: string): FakeUser | undefined {
    const user = this.state.users.get(id);
    return user === undefined ? undefined : structuredClone(user);
  }

  ephemerals(channel?: string, user?: string): EphemeralRecord[] {
    return structuredClone(this.state.ephemerals.filter((e) => (channel === undefined || e.channel === channel) && (user === undefined || e.user === user)));
  }

  responses(responseUrlId?: string): ResponseRecord[] {
    return structuredClone(this.state.responses.filter((r) => responseUrlId === undefined || r.responseUrlId === responseUrlId));
  }

  /** Files shared into a channel, with their uploaded content. */
  files(channel: string): SharedFile[] {
    const id = this.state.findChannel(channel)?.info.id;
    return [...this.state.uploads.values()]
      .filter((u) => u.completed && u.channel !== undefined && u.channel === id && u.ts !== undefined)
      .map((u) => ({
        id: u.id, name: u.filename, title: u.title, content: u.content?.toString('utf8') ?? '', size: u.content?.length ?? 0,
        channel: u.channel ?? '', ts: u.ts ?? '', ...(u.initial_comment !== undefined ? { initial_comment: u.initial_comment } : {}),
      }));
  }

  openedViews(): OpenedView[] {
    return structuredClone([...this.state.views.values()]);
  }

  // ── waiting ──────────────────────────────────────────────────────────────────────────────

  /** Resolves with the predicate's first truthy value, re-checked on every change (and every 25 ms). */
  waitFor<T>(predicate: () => T, timeoutMs = 2000, what = 'condition'): Promise<Found<T>> {
    return new Promise((resolve, reject) => {
      let done = false;
      const finish = (): void => {
        done = true;
        unsubscribe();
        clearInterval(interval);
        clearTimeout(timer);
      };
      const check = (): void => {
        if (done) return;
        try {
          const value = predicate();
          if (value !== undefined && value !== null && value !== false) {
            finish();
            resolve(value as Found<T>);
          }
        } catch (error) {
          finish();
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      };
      const unsubscribe = this.state.onChange(check);
      const interval = setInterval(check, 25);
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`fake-slack: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      check();
    });
  }

  /** The `n`-th (1-based) call of `method`, once it has been answered. */
  waitForCall(method: string, n = 1, timeoutMs = 2000): Promise<ApiCall> {
    return this.waitFor(() => this.calls(method)[n - 1], timeoutMs, `call #${n} of ${method}`);
  }

  /** At least `n` posts to one response_url. */
  waitForResponses(responseUrlId: string, n = 1, timeoutMs = 2000): Promise<ResponseRecord[]> {
    return this.waitFor(() => {
      const found = this.responses(responseUrlId);
      return found.length >= n ? found : undefined;
    }, timeoutMs, `${n} response(s) on ${responseUrlId}`);
  }

  private requireChannel(idOrName: string): ChannelRecord {
    const record = this.state.findChannel(idOrName);
    if (record === undefined) throw new Error(`fake-slack: no channel ${idOrName}`);
    return record;
  }

  private requireMessage(channel: string, ts: string): { record: ChannelRecord; message: FakeMessage } {
    const record = this.requireChannel(channel);
    const message = this.state.findMessage(record, ts);
    if (message === undefined) throw new Error(`fake-slack: no message ${ts} in ${channel}`);
    return { record, message };
  }
}

function snapshot(record: ChannelRecord): ChannelSnapshot {
  return { ...structuredClone(record.info), members: [...record.members] };
}

/** Starts the fake on 127.0.0.1, on a free port. */
export async function startFakeSlack(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
  const server = createServer({ keepAliveTimeout: 10_000 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const identity: Identity = {
    url: `http://127.0.0.1:${port}`,
    botToken: opts.botToken ?? 'xoxb-0000000000-0000000000000-fakebottokenfirebreak',
    appToken: opts.appToken ?? 'xapp-1-A0FIREBRK-0000000000000-fakeapptokenfirebreak',
    teamId: opts.teamId ?? 'T0FIREBRK',
    teamDomain: opts.teamDomain ?? 'firebreak-test',
    botUserId: opts.botUserId ?? 'U0FBBOT01',
    botId: opts.botId ?? 'B0FBBOT01',
    appId: opts.appId ?? 'A0FIREBRK',
    botName: opts.botName ?? 'firebreak',
  };
  return new FakeSlack(server, new SlackState(identity, opts.now ?? Date.now), opts.socketMode);
}

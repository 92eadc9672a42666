// The workspace the fake serves: users, channels and their messages, plus everything tests
// inspect. Methods in ./methods read and change it; nothing here knows about HTTP.
import { randomBytes, randomUUID } from 'node:crypto';
import { SlackApiError } from './args.js';
import type {
  ApiCall, ChangeListener, EphemeralRecord, FakeChannel, FakeMessage, FakeUser, OpenedView,
  ResponseRecord, ResponseUrlContext, UploadedFile, UserSpec,
} from './types.js';

export interface Identity {
  url: string;
  botToken: string;
  /** The app-level token (xapp-…) Socket Mode connects with. */
  appToken: string;
  teamId: string;
  teamDomain: string;
  botUserId: string;
  botId: string;
  appId: string;
  botName: string;
}

export interface ChannelRecord {
  info: FakeChannel;
  members: Set<string>;
  /** Every message, thread replies included, in ts order. */
  messages: FakeMessage[];
}

export interface TriggerRecord {
  userId: string;
  issued: number;
  used: boolean;
}

export interface ResponseUrlRecord {
  context: ResponseUrlContext;
  issued: number;
  uses: number;
}

/** Subtypes Slack writes on its own (joins, topic changes, …), hidden from `messages()` unless asked. */
export const SYSTEM_SUBTYPES = new Set([
  'channel_join', 'channel_leave', 'channel_topic', 'channel_purpose', 'channel_name', 'channel_archive',
]);

function zoneInfo(tz: string, atMs: number): { label: string; offsetSec: number } {
  const part = (style: 'long' | 'longOffset'): string =>
    new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: style })
      .formatToParts(new Date(atMs))
      .find((p) => p.type === 'timeZoneName')?.value ?? '';
  const offset = /GMT([+-])(\d{2}):(\d{2})/.exec(part('longOffset'));
  const offsetSec = offset === null ? 0 : (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 3600 + Number(offset[3]) * 60);
  return { label: part('long'), offsetSec };
}

export class SlackState {
  readonly users = new Map<string, FakeUser>();
  readonly usergroups = new Map<string, string[]>();
  readonly channels = new Map<string, ChannelRecord>();
  readonly ephemerals: EphemeralRecord[] = [];
  readonly responses: ResponseRecord[] = [];
  readonly responseUrls = new Map<string, ResponseUrlRecord>();
  readonly triggers = new Map<string, TriggerRecord>();
  readonly uploads = new Map<string, UploadedFile>();
  readonly views = new Map<string, OpenedView>();
  readonly calls: ApiCall[] = [];
  /** Socket Mode tickets `apps.connections.open` handed out and not yet used. */
  readonly socketTickets = new Map<string, { issued: number }>();
  private readonly listeners = new Set<ChangeListener>();
  private readonly counters = new Map<string, number>();
  private lastTsMicros = 0;

  constructor(
    readonly id: Identity,
    readonly now: () => number,
  ) {
    this.addUser({ id: id.botUserId, name: id.botName, tz: 'America/Los_Angeles', is_bot: true });
  }

  nowSec(): number {
    return Math.floor(this.now() / 1000);
  }

  /** Slack-style `"1690107420.000100"`: from the clock, strictly increasing. */
  nextTs(): string {
    const micros = Math.max(Math.floor(this.now()) * 1000, this.lastTsMicros + 1);
    this.lastTsMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  nextId(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}${n.toString(36).toUpperCase().padStart(10, '0')}`;
  }

  randomHex(bytes: number): string {
    return randomBytes(bytes).toString('hex');
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  // ── users ────────────────────────────────────────────────────────────────────────────────

  addUser(spec: UserSpec): FakeUser {
    const zone = zoneInfo(spec.tz, this.now());
    const realName = spec.real_name ?? spec.name;
    const displayName = spec.display_name ?? spec.name;
    const user: FakeUser = {
      id: spec.id,
      team_id: this.id.teamId,
      name: spec.name,
      real_name: realName,
      deleted: spec.deleted ?? false,
      is_bot: spec.is_bot ?? false,
      is_app_user: false,
      tz: spec.tz,
      tz_label: zone.label,
      tz_offset: zone.offsetSec,
      updated: this.nowSec(),
      profile: {
        display_name: displayName,
        real_name: realName,
        display_name_normalized: displayName,
        real_name_normalized: realName,
      },
    };
    this.users.set(user.id, user);
    this.changed();
    return user;
  }

  /** A user the API may act on: known and not deactivated. */
  activeUser(id: string): FakeUser | undefined {
    const user = this.users.get(id);
    return user === undefined || user.deleted ? undefined : user;
  }

  // ── channels ─────────────────────────────────────────────────────────────────────────────

  createChannel(opts: { name: string; isPrivate?: boolean; creator: string; members?: readonly string[] }): ChannelRecord {
    const isPrivate = opts.isPrivate ?? false;
    const blank = { value: '', creator: '', last_set: 0 };
    const record: ChannelRecord = {
      info: {
        // Slack gives private channels C ids too these days, and `is_channel: true`.
        id: this.nextId('C'),
        name: opts.name,
        is_channel: true,
        is_group: false,
        is_im: false,
        is_mpim: false,
        is_private: isPrivate,
        is_archived: false,
        is_general: false,
        created: this.nowSec(),
        creator: opts.creator,
        name_normalized: opts.name,
        topic: { ...blank },
        purpose: { ...blank },
      },
      members: new Set(),
      messages: [],
    };
    this.channels.set(record.info.id, record);
    for (const member of opts.members ?? []) this.join(record, member);
    this.changed();
    return record;
  }

  /** By id, by name, or by `#name`. IMs are found by id only. */
  findChannel(idOrName: string): ChannelRecord | undefined {
    const direct = this.channels.get(idOrName);
    if (direct !== undefined) return direct;
    const name = idOrName.replace(/^#/, '');
    for (const record of this.channels.values()) {
      if (!record.info.is_im && !record.info.is_mpim && record.info.name === name) return record;
    }
    return undefined;
  }

  /** What the bot can see: public channels, and private ones or IMs it is in. */
  visibleChannel(id: string): ChannelRecord {
    const record = this.channels.get(id);
    if (record === undefined) throw new SlackApiError('channel_not_found');
    if (record.info.is_private && !record.members.has(this.id.botUserId)) throw new SlackApiError('channel_not_found');
    return record;
  }

  isBotMember(record: ChannelRecord): boolean {
    return record.members.has(this.id.botUserId);
  }

  /** The IM (one user) or group DM (several) between the bot and `userIds`. */
  openConversation(userIds: readonly string[]): { record: ChannelRecord; existed: boolean } {
    const wanted = new Set([this.id.botUserId, ...userIds]);
    const isIm = userIds.length === 1;
    for (const record of this.channels.values()) {
      if ((isIm ? record.info.is_im : record.info.is_mpim) && record.members.size === wanted.size
        && [...wanted].every((u) => record.members.has(u))) {
        return { record, existed: true };
      }
    }
    const blank = { value: '', creator: '', last_set: 0 };
    const record: ChannelRecord = {
      info: {
        id: this.nextId(isIm ? 'D' : 'G'),
        name: isIm ? '' : `mpdm-${[...wanted].join('--')}-1`,
        is_channel: false,
        is_group: !isIm,
        is_im: isIm,
        is_mpim: !isIm,
        is_private: true,
        is_archived: false,
        is_general: false,
        created: this.nowSec(),
        creator: this.id.botUserId,
        name_normalized: '',
        topic: { ...blank },
        purpose: { ...blank },
        ...(isIm ? { user: userIds[0] } : {}),
      },
      members: wanted,
      messages: [],
    };
    this.channels.set(record.info.id, record);
    this.changed();
    return { record, existed: false };
  }

  /** A conversation object as the Web API returns it, seen by the bot. */
  apiChannel(record: ChannelRecord): Record<string, unknown> {
    const info = record.info;
    if (info.is_im) {
      return {
        id: info.id, created: info.created, is_im: true, is_org_shared: false, user: info.user,
        is_user_deleted: this.users.get(info.user ?? '')?.deleted ?? false, priority: 0, is_archived: false,
      };
    }
    return {
      ...info,
      topic: { ...info.topic },
      purpose: { ...info.purpose },
      is_member: this.isBotMember(record),
      num_members: record.members.size,
      is_shared: false,
      is_ext_shared: false,
      is_org_shared: false,
      is_pending_ext_shared: false,
      unlinked: 0,
      previous_names: [],
      pending_shared: [],
    };
  }

  /** Adds a member, with Slack's `channel_join` message. */
  join(record: ChannelRecord, userId: string, inviter?: string): void {
    if (record.members.has(userId)) return;
    record.members.add(userId);
    const text = `<@${userId}> has joined the channel`;
    this.addMessage(record, { user: userId, subtype: 'channel_join', text, ...(inviter !== undefined ? { inviter } : {}) });
  }

  // ── messages ─────────────────────────────────────────────────────────────────────────────

  addMessage(record: ChannelRecord, fields: Partial<FakeMessage>): FakeMessage {
    const message: FakeMessage = { type: 'message', channel: record.info.id, text: '', ...fields, ts: this.nextTs() };
    record.messages.push(message);
    if (message.thread_ts !== undefined && message.thread_ts !== message.ts) {
      const parent = this.findMessage(record, message.thread_ts);
      if (parent !== undefined) {
        parent.thread_ts = parent.ts;
        parent.reply_count = (parent.reply_count ?? 0) + 1;
        const repliers = new Set(parent.reply_users ?? []);
        if (message.user !== undefined) repliers.add(message.user);
        parent.reply_users = [...repliers];
        parent.reply_users_count = repliers.size;
        parent.latest_reply = message.ts;
      }
    }
    this.changed();
    return message;
  }

  /** A message posted by the bot user. */
  botMessage(record: ChannelRecord, fields: Partial<FakeMessage>): FakeMessage {
    return this.addMessage(record, {
      user: this.id.botUserId, bot_id: this.id.botId, app_id: this.id.appId, team: this.id.teamId, ...fields,
    });
  }

  findMessage(record: ChannelRecord, ts: string): FakeMessage | undefined {
    return record.messages.find((m) => m.ts === ts);
  }

  // ── interactions ─────────────────────────────────────────────────────────────────────────

  issueTrigger(userId: string): string {
    const id = `${this.nowSec()}.${this.id.teamId.replace(/\D/g, '') || '1'}${this.nextId('').slice(-6)}.${this.randomHex(16)}`;
    this.triggers.set(id, { userId, issued: this.now(), used: false });
    return id;
  }

  issueResponseUrl(context: ResponseUrlContext): { id: string; url: string } {
    const id = `${this.nextId('R')}${this.randomHex(8)}`;
    this.responseUrls.set(id, { context, issued: this.now(), uses: 0 });
    return { id, url: `${this.id.url}/response/${id}` };
  }

  /** A one-time Socket Mode URL, as `apps.connections.open` returns it (`wss://…/link/?ticket=…&app_id=…`). */
  issueSocketUrl(): string {
    const ticket = randomUUID();
    this.socketTickets.set(ticket, { issued: this.now() });
    return `${this.id.url.replace(/^http/, 'ws')}/link/?ticket=${ticket}&app_id=${this.id.appId}`;
  }

  /**
   * What a reply to an interaction does in the workspace (a response_url post, or a slash
   * command's ack body): replace or delete the original, post in the channel, or show one user.
   */
  applyReply(context: ResponseUrlContext, body: Record<string, unknown>, source: EphemeralRecord['source']): void {
    const record = context.channelId === undefined ? undefined : this.channels.get(context.channelId);
    const original = record !== undefined && context.messageTs !== undefined ? this.findMessage(record, context.messageTs) : undefined;
    const text = typeof body.text === 'string' ? body.text : '';
    const blocks = Array.isArray(body.blocks) ? body.blocks : undefined;
    if (record !== undefined && original !== undefined && body.delete_original === true) {
      record.messages.splice(record.messages.indexOf(original), 1);
    } else if (original !== undefined && body.replace_original === true) {
      original.text = text;
      if (blocks !== undefined) original.blocks = blocks;
      else delete original.blocks;
      original.edited = { user: this.id.botUserId, ts: this.nextTs() };
    } else if (body.response_type === 'in_channel') {
      if (record !== undefined) this.botMessage(record, { text, ...(blocks !== undefined ? { blocks } : {}) });
    } else if (context.channelId !== undefined && context.userId !== undefined) {
      this.ephemerals.push({
        channel: context.channelId, user: context.userId, text, message_ts: this.nextTs(), source, time: this.now(),
        ...(blocks !== undefined ? { blocks } : {}),
      });
    }
    this.changed();
  }

  recordCall(call: ApiCall): void {
    this.calls.push(call);
    this.changed();
  }
}

/** A message as Slack's JSON has it (the fake's own `channel` field removed). */
export function toApiMessage(message: FakeMessage): Record<string, unknown> {
  const { channel: _channel, ...rest } = message;
  return structuredClone(rest);
}

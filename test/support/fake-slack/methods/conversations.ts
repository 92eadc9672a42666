import { SlackApiError } from '../args.js';
import { decodeCursor, encodeCursor, pageLimit, paginate } from '../paginate.js';
import { toApiMessage, type ChannelRecord } from '../state.js';
import type { FakeMessage } from '../types.js';
import { isTs, tsMicros, type MethodContext, type MethodTable } from './context.js';

/** Slack's channel-name rules, checked in the order Slack reports them. */
export function channelNameError(name: string | undefined): string | undefined {
  if (name === undefined || name === '') return 'invalid_name_required';
  if (name.length > 80) return 'invalid_name_maxlength';
  if (!/^[a-z0-9_-]+$/.test(name)) return 'invalid_name_specials';
  if (/^[-_]+$/.test(name)) return 'invalid_name_punctuation';
  return undefined;
}

function memberChannel({ state, args }: MethodContext): ChannelRecord {
  const record = state.visibleChannel(args.req('channel', 'channel_not_found'));
  if (!state.isBotMember(record)) throw new SlackApiError('not_in_channel');
  return record;
}

function notIm(record: ChannelRecord): void {
  if (record.info.is_im || record.info.is_mpim) throw new SlackApiError('method_not_supported_for_channel_type');
}

/** Messages in `[oldest, latest]` (bounds excluded unless `inclusive`). */
function inRange(ctx: MethodContext, messages: readonly FakeMessage[]): FakeMessage[] {
  const latest = ctx.args.str('latest');
  const oldest = ctx.args.str('oldest');
  if (latest !== undefined && latest !== '' && !isTs(latest)) throw new SlackApiError('invalid_ts_latest');
  if (oldest !== undefined && oldest !== '' && !isTs(oldest)) throw new SlackApiError('invalid_ts_oldest');
  const inclusive = ctx.args.bool('inclusive');
  const hi = latest ? tsMicros(latest) : Number.POSITIVE_INFINITY;
  const lo = oldest ? tsMicros(oldest) : 0;
  return messages.filter((m) => {
    const t = tsMicros(m.ts);
    return (inclusive ? t <= hi : t < hi) && (inclusive ? t >= lo : t > lo);
  });
}

function setText(ctx: MethodContext, field: 'topic' | 'purpose'): Record<string, unknown> {
  const { state, args } = ctx;
  const record = state.visibleChannel(args.req('channel', 'channel_not_found'));
  if (record.info.is_archived) throw new SlackApiError('is_archived');
  if (!state.isBotMember(record)) throw new SlackApiError('not_in_channel');
  const value = args.str(field) ?? '';
  if (value.length > 250) throw new SlackApiError('too_long');
  record.info[field] = { value, creator: state.id.botUserId, last_set: state.nowSec() };
  state.botMessage(record, {
    subtype: field === 'topic' ? 'channel_topic' : 'channel_purpose',
    text: `set the channel ${field}: ${value}`,
  });
  return { channel: state.apiChannel(record) };
}

export const conversationMethods: MethodTable = {
  'conversations.create': ({ state, args }) => {
    const name = args.str('name');
    const nameError = channelNameError(name);
    if (nameError !== undefined || name === undefined) throw new SlackApiError(nameError ?? 'invalid_name_required');
    if (state.findChannel(name) !== undefined) throw new SlackApiError('name_taken');
    const record = state.createChannel({
      name, isPrivate: args.bool('is_private'), creator: state.id.botUserId, members: [state.id.botUserId],
    });
    return { channel: state.apiChannel(record) };
  },

  'conversations.invite': ({ state, args }) => {
    const record = state.visibleChannel(args.req('channel', 'channel_not_found'));
    notIm(record);
    if (record.info.is_archived) throw new SlackApiError('is_archived');
    if (!state.isBotMember(record)) throw new SlackApiError('not_in_channel');
    const users = args.list('users');
    if (users.length === 0) throw new SlackApiError('no_user');
    const errors: { user: string; ok: false; error: string }[] = [];
    for (const user of users) {
      const error = user === state.id.botUserId ? 'cant_invite_self'
        : state.activeUser(user) === undefined ? 'user_not_found'
          : record.members.has(user) ? 'already_in_channel' : undefined;
      if (error !== undefined) errors.push({ user, ok: false, error });
    }
    // Without `force`, one bad user fails the whole call and nobody is invited.
    const valid = users.filter((u) => !errors.some((e) => e.user === u));
    const first = errors[0];
    if (first !== undefined && (!args.bool('force') || valid.length === 0)) throw new SlackApiError(first.error, { errors });
    for (const user of valid) state.join(record, user, state.id.botUserId);
    return { channel: state.apiChannel(record), ...(errors.length > 0 ? { errors } : {}) };
  },

  'conversations.join': ({ state, args }) => {
    const record = state.visibleChannel(args.req('channel', 'channel_not_found'));
    if (record.info.is_private) throw new SlackApiError('method_not_supported_for_channel_type');
    if (record.info.is_archived) throw new SlackApiError('is_archived');
    if (state.isBotMember(record)) {
      return { channel: state.apiChannel(record), warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } };
    }
    state.join(record, state.id.botUserId);
    return { channel: state.apiChannel(record) };
  },

  'conversations.info': ({ state, args }) => {
    const record = state.visibleChannel(args.req('channel', 'channel_not_found'));
    return { channel: state.apiChannel(record) };
  },

  'conversations.setTopic': (ctx) => setText(ctx, 'topic'),
  'conversations.setPurpose': (ctx) => setText(ctx, 'purpose'),

  'conversations.archive': ({ state, args }) => {
    const record = state.visibleChannel(args.req('channel', 'channel_not_found'));
    notIm(record);
    if (record.info.is_archived) throw new SlackApiError('already_archived');
    if (record.info.is_general) throw new SlackApiError('cant_archive_general');
    if (!state.isBotMember(record)) throw new SlackApiError('not_in_channel');
    state.botMessage(record, { subtype: 'channel_archive', text: 'archived the channel' });
    record.info.is_archived = true;
    state.changed();
    return {};
  },

  'conversations.members': ({ state, args }) => {
    const record = state.visibleChannel(args.req('channel', 'channel_not_found'));
    const page = paginate([...record.members], (u) => u, args, 'user');
    return { members: page.items, response_metadata: { next_cursor: page.nextCursor } };
  },

  'conversations.list': ({ state, args }) => {
    const types = new Set(args.list('types'));
    if (types.size === 0) types.add('public_channel');
    const excludeArchived = args.bool('exclude_archived');
    const visible = [...state.channels.values()].filter(({ info, members }) => {
      if (excludeArchived && info.is_archived) return false;
      if (info.is_im) return types.has('im');
      if (info.is_mpim) return types.has('mpim');
      if (info.is_private) return types.has('private_channel') && members.has(state.id.botUserId);
      return types.has('public_channel');
    });
    const page = paginate(visible, (r) => r.info.id, args, 'id');
    return { channels: page.items.map((r) => state.apiChannel(r)), response_metadata: { next_cursor: page.nextCursor } };
  },

  'conversations.history': (ctx) => {
    const record = memberChannel(ctx);
    let messages = inRange(ctx, record.messages.filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts)).reverse();
    const cursor = ctx.args.str('cursor');
    if (cursor !== undefined && cursor !== '') {
      const from = tsMicros(decodeCursor(cursor, 'next_ts'));
      messages = messages.filter((m) => tsMicros(m.ts) <= from);
    }
    const limit = pageLimit(ctx.args, 100, 999);
    const next = messages[limit];
    const withMetadata = ctx.args.str('include_all_metadata') === 'true';
    return {
      messages: messages
        .slice(0, limit)
        .map(toApiMessage)
        .map((m) => (withMetadata ? m : (({ metadata: _metadata, ...rest }) => rest)(m))),
      has_more: next !== undefined,
      pin_count: record.messages.filter((m) => m.pinned_to !== undefined).length,
      ...(next !== undefined ? { response_metadata: { next_cursor: encodeCursor('next_ts', next.ts) } } : {}),
    };
  },

  'conversations.replies': (ctx) => {
    const record = memberChannel(ctx);
    const found = ctx.state.findMessage(record, ctx.args.req('ts', 'thread_not_found'));
    if (found === undefined) throw new SlackApiError('thread_not_found');
    const root = found.thread_ts ?? found.ts;
    const thread = inRange(ctx, record.messages.filter((m) => m.ts === root || m.thread_ts === root));
    const page = paginate(thread, (m) => m.ts, ctx.args, 'next_ts', 1000);
    return {
      messages: page.items.map(toApiMessage),
      has_more: page.nextCursor !== '',
      ...(page.nextCursor !== '' ? { response_metadata: { next_cursor: page.nextCursor } } : {}),
    };
  },

  'conversations.open': ({ state, args }) => {
    if (args.has('channel')) {
      const record = state.visibleChannel(args.req('channel'));
      return { channel: args.bool('return_im') ? state.apiChannel(record) : { id: record.info.id } };
    }
    const users = args.list('users');
    if (users.length === 0) throw new SlackApiError('users_list_not_supplied');
    if (users.length > 8) throw new SlackApiError('too_many_users');
    if (users.some((u) => state.users.get(u) === undefined)) throw new SlackApiError('user_not_found');
    const others = users.filter((u) => u !== state.id.botUserId);
    if (others.length === 0) throw new SlackApiError('cannot_dm_bot');
    const { record, existed } = state.openConversation(others);
    return {
      channel: args.bool('return_im') ? state.apiChannel(record) : { id: record.info.id },
      ...(existed ? { no_op: true, already_open: true } : {}),
    };
  },
};

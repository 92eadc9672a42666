import { SlackApiError, type Args } from '../args.js';
import { validateMessageBlocks } from '../blocks.js';
import { toApiMessage, type ChannelRecord, type SlackState } from '../state.js';
import type { FakeMessage } from '../types.js';
import type { MethodTable } from './context.js';

const MAX_TEXT = 40_000;

/** `channel` as chat.postMessage reads it: an id, a `#name`, or a user id (the bot's DM with them). */
export function targetChannel(state: SlackState, channel: string): ChannelRecord {
  if (/^[UW]/.test(channel) && state.users.has(channel)) return state.openConversation([channel]).record;
  const record = state.findChannel(channel);
  if (record === undefined) throw new SlackApiError('channel_not_found');
  return state.visibleChannel(record.info.id);
}

/** `text`, `blocks`, `attachments` of a message, validated as Slack does. */
export function messageContent(args: Args): Pick<FakeMessage, 'text' | 'blocks' | 'attachments'> {
  const text = args.str('text') ?? '';
  const blocks = args.has('blocks') ? validateMessageBlocks(args.json('blocks')) : undefined;
  const attachments = args.has('attachments') ? args.json('attachments') : undefined;
  if (text === '' && (blocks === undefined || blocks.length === 0) && attachments === undefined) throw new SlackApiError('no_text');
  if (text.length > MAX_TEXT) throw new SlackApiError('msg_too_long');
  return {
    text,
    ...(blocks !== undefined ? { blocks } : {}),
    ...(Array.isArray(attachments) ? { attachments } : {}),
  };
}

function existingMessage(state: SlackState, args: Args, tsArg: string): { record: ChannelRecord; message: FakeMessage } {
  const record = state.visibleChannel(args.req('channel', 'channel_not_found'));
  const message = state.findMessage(record, args.req(tsArg, 'message_not_found'));
  if (message === undefined) throw new SlackApiError('message_not_found');
  return { record, message };
}

/** Adds `user`'s reaction; false when it was already there. */
export function addReaction(message: FakeMessage, user: string, name: string): boolean {
  const reactions = message.reactions ?? [];
  const existing = reactions.find((r) => r.name === name);
  if (existing?.users.includes(user)) return false;
  if (existing === undefined) reactions.push({ name, users: [user], count: 1 });
  else {
    existing.users.push(user);
    existing.count = existing.users.length;
  }
  message.reactions = reactions;
  return true;
}

/** Slack's message metadata: an event_type name and an object payload. */
function validMetadata(value: unknown): value is NonNullable<FakeMessage['metadata']> {
  if (typeof value !== 'object' || value === null) return false;
  const { event_type: type, event_payload: payload } = value as Record<string, unknown>;
  return typeof type === 'string' && /^[a-z0-9_]+$/i.test(type) && typeof payload === 'object' && payload !== null;
}

export const chatMethods: MethodTable = {
  'chat.postMessage': ({ state, args }) => {
    const record = targetChannel(state, args.req('channel', 'channel_not_found'));
    if (record.info.is_archived) throw new SlackApiError('is_archived');
    if (!state.isBotMember(record)) throw new SlackApiError('not_in_channel');
    const threadTs = args.str('thread_ts');
    const metadata = args.has('metadata') ? args.json('metadata') : undefined;
    if (metadata !== undefined && !validMetadata(metadata)) throw new SlackApiError('invalid_metadata_format');
    const message = state.botMessage(record, {
      ...messageContent(args),
      ...(threadTs !== undefined && threadTs !== '' ? { thread_ts: threadTs } : {}),
      ...(metadata !== undefined ? { metadata } : {}),
    });
    return { channel: record.info.id, ts: message.ts, message: toApiMessage(message) };
  },

  'chat.update': ({ state, args }) => {
    const { record, message } = existingMessage(state, args, 'ts');
    if (message.user !== state.id.botUserId || message.subtype !== undefined) throw new SlackApiError('cant_update_message');
    if (record.info.is_archived) throw new SlackApiError('is_inactive');
    if (!args.has('text') && !args.has('blocks') && !args.has('attachments')) throw new SlackApiError('no_text');
    const text = args.str('text');
    if (text !== undefined && text.length > MAX_TEXT) throw new SlackApiError('msg_too_long');
    if (text !== undefined) message.text = text;
    // Slack keeps the previous blocks when `blocks` is left out; an empty array removes them.
    if (args.has('blocks')) {
      const blocks = validateMessageBlocks(args.json('blocks'));
      if (blocks.length === 0) delete message.blocks;
      else message.blocks = blocks;
    }
    message.edited = { user: state.id.botUserId, ts: state.nextTs() };
    state.changed();
    return { channel: record.info.id, ts: message.ts, text: message.text, message: toApiMessage(message) };
  },

  'chat.delete': ({ state, args }) => {
    const { record, message } = existingMessage(state, args, 'ts');
    if (message.user !== state.id.botUserId) throw new SlackApiError('cant_delete_message');
    record.messages.splice(record.messages.indexOf(message), 1);
    state.changed();
    return { channel: record.info.id, ts: message.ts };
  },

  'chat.postEphemeral': ({ state, args }) => {
    const record = targetChannel(state, args.req('channel', 'channel_not_found'));
    const user = args.req('user', 'user_not_found');
    if (state.activeUser(user) === undefined) throw new SlackApiError('user_not_found');
    if (record.info.is_archived) throw new SlackApiError('is_archived');
    if (!state.isBotMember(record)) throw new SlackApiError('not_in_channel');
    if (!record.members.has(user)) throw new SlackApiError('user_not_in_channel');
    const content = messageContent(args);
    const messageTs = state.nextTs();
    const threadTs = args.str('thread_ts');
    state.ephemerals.push({
      channel: record.info.id, user, text: content.text, message_ts: messageTs, source: 'api', time: state.now(),
      ...(content.blocks !== undefined ? { blocks: content.blocks } : {}),
      ...(threadTs !== undefined && threadTs !== '' ? { thread_ts: threadTs } : {}),
    });
    state.changed();
    return { message_ts: messageTs };
  },

  'chat.getPermalink': ({ state, args }) => {
    const { record, message } = existingMessage(state, args, 'message_ts');
    return {
      channel: record.info.id,
      permalink: `https://${state.id.teamDomain}.slack.com/archives/${record.info.id}/p${message.ts.replace('.', '')}`,
    };
  },

  'reactions.add': ({ state, args }) => {
    if (!args.has('timestamp')) throw new SlackApiError('no_item_specified');
    const { message } = existingMessage(state, args, 'timestamp');
    const name = args.req('name', 'invalid_name').replace(/^:|:$/g, '');
    if (!addReaction(message, state.id.botUserId, name)) throw new SlackApiError('already_reacted');
    state.changed();
    return {};
  },

  'pins.add': ({ state, args }) => {
    if (!args.has('timestamp')) throw new SlackApiError('no_item_specified');
    const { record, message } = existingMessage(state, args, 'timestamp');
    if (!state.isBotMember(record)) throw new SlackApiError('not_in_channel');
    if (message.pinned_to?.includes(record.info.id)) throw new SlackApiError('already_pinned');
    message.pinned_to = [...(message.pinned_to ?? []), record.info.id];
    state.changed();
    return {};
  },
};

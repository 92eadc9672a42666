import type { InboxEntry } from '../../inbox/inbox.js';
import type { ChannelMessage } from '../../ports/slack.js';
import { decodeSlackText } from '../../text/mrkdwn.js';
import { tsToDate } from '../../timeline/messages.js';
import type { TimelineService } from '../../timeline/service.js';
import type { EventPayload } from '../payloads.js';

interface MessageLike {
  type?: string;
  subtype?: string;
  channel?: string;
  channel_id?: string;
  ts?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  thread_ts?: string;
  deleted_ts?: string;
  reaction?: string;
  item?: { type?: string; channel?: string; ts?: string; message?: MessageLike };
  message?: MessageLike & { edited?: { ts?: string } };
}

// Subtypes that are people (or integrations) saying something worth keeping.
const SPOKEN = new Set([undefined, 'bot_message', 'thread_broadcast', 'file_share', 'me_message']);

function channelMessage(message: MessageLike): ChannelMessage {
  return {
    ts: message.ts ?? '',
    userId: message.user ?? message.bot_id ?? null,
    text: decodeSlackText(message.text ?? ''),
    threadTs: message.thread_ts ?? null,
  };
}

/** Incident-channel messages and pins from recorded events: captured into the store, pins onto the timeline. */
export function eventHandler(deps: { timeline: TimelineService }) {
  const { timeline } = deps;
  return async (entry: InboxEntry): Promise<void> => {
    const event = (entry.payload as EventPayload).event as MessageLike;
    switch (event.type) {
      case 'message': {
        const channel = event.channel;
        if (!channel) return;
        const changed = event.message;
        if (event.subtype === 'message_changed' && changed?.ts) {
          const editedTs = changed.edited?.ts ?? event.ts;
          await timeline.captureEdit(channel, channelMessage(changed), editedTs ? tsToDate(editedTs) : new Date());
          return;
        }
        if (event.subtype === 'message_deleted' && event.deleted_ts) {
          await timeline.captureDeletion(channel, event.deleted_ts);
          return;
        }
        if (!SPOKEN.has(event.subtype) || !event.ts) return;
        await timeline.captureMessage(channel, channelMessage(event));
        return;
      }
      case 'reaction_added':
        if (event.reaction !== 'pushpin' || event.item?.type !== 'message' || !event.item.channel || !event.item.ts) return;
        await timeline.recordPin(event.item.channel, event.item.ts, event.user ?? '');
        return;
      case 'pin_added': {
        const message = event.item?.message;
        if (event.item?.type !== 'message' || !message?.ts || !event.channel_id) return;
        await timeline.recordPin(event.channel_id, message.ts, event.user ?? '', channelMessage(message));
        return;
      }
    }
  };
}

import type { App } from '@slack/bolt';
import type { Logger } from '../../log.js';
import type { TimelineService } from '../../timeline/service.js';
import { decodeSlackText } from '../../text/mrkdwn.js';
import { tsToDate } from '../../timeline/messages.js';

interface MessageLike {
  subtype?: string;
  channel?: string;
  ts?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  thread_ts?: string;
  deleted_ts?: string;
  message?: { ts?: string; text?: string; user?: string; bot_id?: string; thread_ts?: string; edited?: { ts?: string } };
}

// Subtypes that are people (or integrations) saying something worth keeping.
const SPOKEN = new Set([undefined, 'bot_message', 'thread_broadcast', 'file_share', 'me_message']);

/** Incident-channel messages and pins: captured live into the store, pins onto the timeline. */
export function registerChannelEvents(app: App, deps: { timeline: TimelineService; log: Logger }): void {
  const { timeline } = deps;

  app.event('message', async ({ event, context }) => {
    const message = event as MessageLike;
    const channel = message.channel;
    if (!channel) return;
    const changed = message.message;
    if (message.subtype === 'message_changed' && changed?.ts) {
      // The bot's own edits (its card) are not channel history.
      if (changed.bot_id !== undefined && changed.bot_id === context.botId) return;
      const editedTs = changed.edited?.ts ?? message.ts;
      await timeline.captureEdit(
        channel,
        { ts: changed.ts, userId: changed.user ?? changed.bot_id ?? null, text: decodeSlackText(changed.text ?? ''), threadTs: changed.thread_ts ?? null },
        editedTs ? tsToDate(editedTs) : new Date(),
      );
      return;
    }
    if (message.subtype === 'message_deleted' && message.deleted_ts) {
      await timeline.captureDeletion(channel, message.deleted_ts);
      return;
    }
    if (!SPOKEN.has(message.subtype) || !message.ts) return;
    await timeline.captureMessage(channel, {
      ts: message.ts,
      userId: message.user ?? message.bot_id ?? null,
      text: decodeSlackText(message.text ?? ''),
      threadTs: message.thread_ts ?? null,
    });
  });

  app.event('reaction_added', async ({ event }) => {
    if (event.reaction !== 'pushpin' || event.item.type !== 'message') return;
    await timeline.recordPin(event.item.channel, event.item.ts, event.user);
  });

  app.event('pin_added', async ({ event }) => {
    const item = event.item as { type?: string; message?: MessageLike };
    const message = item.message;
    if (item.type !== 'message' || !message?.ts) return;
    await timeline.recordPin(event.channel_id, message.ts, event.user, {
      ts: message.ts,
      userId: message.user ?? message.bot_id ?? null,
      text: decodeSlackText(message.text ?? ''),
      threadTs: message.thread_ts ?? null,
    });
  });
}

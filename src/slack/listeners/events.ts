import type { App } from '@slack/bolt';
import type { Inbox } from '../../inbox/inbox.js';
import type { Logger } from '../../log.js';
import type { EventPayload } from '../payloads.js';

export const EVENT_KIND = 'event';
const WANTED = new Set(['message', 'reaction_added', 'pin_added']);

interface EventLike {
  type?: string;
  user?: string;
  bot_id?: string;
  message?: { user?: string; bot_id?: string };
}

/** True for what the bot itself said or edited (its card updates are not channel history). */
function fromThisBot(event: EventLike, bot: { userId?: string; botId?: string }): boolean {
  const author = event.message ?? event;
  return (
    (bot.userId !== undefined && author.user === bot.userId) || (bot.botId !== undefined && author.bot_id === bot.botId)
  );
}

/**
 * Every Events API delivery, in one listener: recorded in the inbox (keyed by event_id, which
 * also drops Slack's retries on every replica) before the HTTP answer, handled after it.
 */
export function registerEvents(app: App, deps: { inbox: Inbox; log: Logger }): void {
  const { inbox, log } = deps;
  app.event(/.*/, async ({ event, body, context }) => {
    const typed = event as EventLike;
    if (!typed.type || !WANTED.has(typed.type)) return;
    if (typed.type === 'message' && fromThisBot(typed, { userId: context.botUserId, botId: context.botId })) return;
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId !== 'string') return;
    const payload: EventPayload = { eventId, event: event as unknown as Record<string, unknown> };
    // A failure here fails the HTTP answer, so Slack delivers the event again.
    const fresh = await inbox.record(`event:${eventId}`, EVENT_KIND, payload);
    if (fresh) inbox.handle(`event:${eventId}`, EVENT_KIND, payload);
    else log.debug({ eventId }, 'duplicate event delivery ignored');
  });
}

import type { SlackMessage } from '../ports/slack.js';
import { registerFileEffect } from './file-effect.js';
import type { NewEffect } from './model.js';
import type { Outbox } from './outbox.js';

/** Effects whose content is fixed when the change is recorded. */
export const POST = 'slack.post';
export const INVITE = 'slack.invite';

export function postEffect(key: string, channel: string, message: SlackMessage, incidentId: number | null = null): NewEffect {
  return { lane: channel, kind: POST, key, incidentId, payload: { channel, message } };
}

export function inviteEffect(key: string, channel: string, userIds: string[], incidentId: number | null = null): NewEffect {
  return { lane: channel, kind: INVITE, key, incidentId, payload: { channel, userIds } };
}

export function registerSlackEffects(outbox: Outbox): void {
  outbox.register(POST, async (effect, ctx) => {
    const { channel, message } = effect.payload as { channel: string; message: SlackMessage };
    await ctx.postOnce(channel, message);
  });
  outbox.register(INVITE, async (effect, ctx) => {
    const { channel, userIds } = effect.payload as { channel: string; userIds: string[] };
    await ctx.slack.invite(channel, userIds);
  });
  registerFileEffect(outbox);
}

import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { Inbox } from '../../inbox/inbox.js';
import type { Logger } from '../../log.js';
import type { ActionPayload } from '../payloads.js';
import { recordThenAck } from './record.js';

export const ACTION_KIND = 'action';

/** Every button, in one listener: recorded before the ack, dispatched by action_id afterwards. */
export function registerActions(app: App, deps: { inbox: Inbox; log: Logger }): void {
  app.action<BlockAction<ButtonAction>>(/.*/, async ({ ack, body, action }) => {
    const payload: ActionPayload = {
      actionId: action.action_id,
      value: action.value ?? '',
      teamId: body.team?.id ?? body.user.team_id ?? '',
      userId: body.user.id,
      channelId: body.channel?.id ?? '',
      triggerId: body.trigger_id,
      responseUrl: body.response_url ?? null,
      receivedAt: new Date().toISOString(),
    };
    // A button ack carries no message; a refusal (busy, store down) leaves the button to be pressed again.
    await recordThenAck(deps, () => ack(), { key: `action:${body.trigger_id}:${action.action_id}`, kind: ACTION_KIND, payload });
  });
}

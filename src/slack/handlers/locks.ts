import type { Logger } from '../../log.js';
import type { LocksFlow } from '../../locks/flow.js';
import { replyForError } from '../replies.js';
import type { ActionRoute, CommandRoute } from '../routes.js';

/** Buttons of a /locks picture: locks_terminate, locks_cancel. */
export const LOCKS_ACTION_PREFIX = 'locks_';

/** /locks and its two buttons, as routes of the Slack edge; the flow does the work. */
export function locksRoutes(flow: LocksFlow, log: Logger): { command: CommandRoute; action: ActionRoute } {
  return {
    command: {
      check: (text) => flow.check(text),
      run: (ctx, text) => flow.command(ctx, text),
    },
    action: {
      async run(payload) {
        const reply = await flow
          .click({
            actionId: payload.actionId,
            value: payload.value,
            userId: payload.userId,
            channelId: payload.channelId,
            requestId: payload.triggerId,
            receivedAt: new Date(payload.receivedAt),
          })
          .catch((error: unknown) => replyForError(error, log));
        return { reply };
      },
    },
  };
}

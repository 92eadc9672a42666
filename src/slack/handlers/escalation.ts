import type { EscalationCommands } from '../../escalation/commands.js';
import type { ActionRoute } from '../routes.js';

/** The Acknowledge button on a page: acks as `/incident ack` does, answering the clicker alone. */
export function ackRoute(commands: EscalationCommands): ActionRoute {
  return {
    async run(payload) {
      const incidentId = Number(payload.value);
      if (!Number.isInteger(incidentId) || incidentId <= 0) return null;
      const ctx = {
        teamId: payload.teamId,
        userId: payload.userId,
        channelId: payload.channelId,
        receivedAt: new Date(payload.receivedAt),
        requestId: payload.triggerId,
      };
      return { reply: await commands.ack(ctx, { id: incidentId }, 'button') };
    },
  };
}

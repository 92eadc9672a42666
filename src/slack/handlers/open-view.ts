import { UserError } from '../../common/context.js';
import type { IncidentService } from '../../incidents/service.js';
import { parseSeverity } from '../../incidents/command.js';
import type { HandlingContext, InboxEntry } from '../../inbox/inbox.js';
import type { Logger } from '../../log.js';
import type { SlackGateway } from '../../ports/slack.js';
import type { OpenViewPayload } from '../payloads.js';
import { replyForError } from '../replies.js';

/** Opens the incident a submitted form asked for, and tells the opener where it is. */
export function openViewHandler(deps: { incidents: IncidentService; slack: SlackGateway; log: Logger }) {
  const { incidents, slack, log } = deps;
  return async (entry: InboxEntry, handling: HandlingContext): Promise<void> => {
    const payload = entry.payload as OpenViewPayload;
    const reply = await incidents
      .open(
        {
          teamId: payload.teamId,
          userId: payload.userId,
          channelId: payload.originChannelId,
          receivedAt: new Date(payload.receivedAt),
          requestId: `view:${payload.viewId}`,
        },
        { title: payload.title, severity: parseSeverity(payload.severityText) ?? 2 },
      )
      .catch((error: unknown) => {
        if (!(error instanceof UserError) && !handling.lastAttempt) throw error;
        return replyForError(error, log);
      });
    // A modal has no response_url: answer where it was opened, or by direct message.
    await slack
      .postEphemeral(payload.originChannelId, payload.userId, reply)
      .catch(() => slack.postMessage(payload.userId, reply))
      .catch((error: unknown) => log.warn({ err: String(error) }, 'could not tell the opener the result'));
  };
}

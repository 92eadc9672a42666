import type { App } from '@slack/bolt';
import { parseSeverity, titleProblem } from '../../incidents/command.js';
import type { IncidentService } from '../../incidents/service.js';
import type { Logger } from '../../log.js';
import type { SlackGateway } from '../../ports/slack.js';
import { replyForError } from '../replies.js';
import { OPEN_MODAL_CALLBACK, TITLE_BLOCK, readOpenModal } from '../views/open-modal.js';

export function registerOpenModal(app: App, deps: { incidents: IncidentService; slack: SlackGateway; log: Logger }): void {
  const { incidents, slack, log } = deps;
  app.view(OPEN_MODAL_CALLBACK, async ({ ack, body, view }) => {
    const receivedAt = new Date();
    const { title, severityText } = readOpenModal(view.state.values);
    const problem = titleProblem(title);
    if (problem) {
      await ack({ response_action: 'errors', errors: { [TITLE_BLOCK]: problem } });
      return;
    }
    await ack();
    const originChannelId = view.private_metadata;
    const userId = body.user.id;
    const reply = await incidents
      .open(
        {
          teamId: body.team?.id ?? body.user.team_id ?? '',
          userId,
          channelId: originChannelId,
          receivedAt,
          requestId: `view:${view.id}`,
        },
        { title, severity: parseSeverity(severityText) ?? 2 },
      )
      .catch((error: unknown) => replyForError(error, log));
    // A modal has no response_url: answer where it was opened, or by direct message.
    await slack
      .postEphemeral(originChannelId, userId, reply)
      .catch(() => slack.postMessage(userId, reply))
      .catch((error: unknown) => log.warn({ err: String(error) }, 'could not tell the opener the result'));
  });
}

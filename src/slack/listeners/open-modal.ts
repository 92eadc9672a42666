import type { App } from '@slack/bolt';
import { titleProblem } from '../../incidents/command.js';
import type { Inbox } from '../../inbox/inbox.js';
import type { Logger } from '../../log.js';
import type { OpenViewPayload } from '../payloads.js';
import { OPEN_MODAL_CALLBACK, TITLE_BLOCK, readOpenModal } from '../views/open-modal.js';
import { recordThenAck } from './record.js';

export const OPEN_VIEW_KIND = 'open_view';

export function registerOpenModal(app: App, deps: { inbox: Inbox; log: Logger }): void {
  app.view(OPEN_MODAL_CALLBACK, async ({ ack, body, view }) => {
    const { title, severityText } = readOpenModal(view.state.values);
    const problem = titleProblem(title);
    if (problem) {
      await ack({ response_action: 'errors', errors: { [TITLE_BLOCK]: problem } });
      return;
    }
    const payload: OpenViewPayload = {
      viewId: view.id,
      title,
      severityText,
      teamId: body.team?.id ?? body.user.team_id ?? '',
      userId: body.user.id,
      originChannelId: view.private_metadata,
      receivedAt: new Date().toISOString(),
    };
    // A modal's ack carries no message: a refusal (busy, store down) shows on the form instead.
    await recordThenAck(
      deps,
      (reply) => (reply ? ack({ response_action: 'errors', errors: { [TITLE_BLOCK]: reply.text } }) : ack()),
      { key: `view:${view.id}`, kind: OPEN_VIEW_KIND, payload },
    );
  });
}

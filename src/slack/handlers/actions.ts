import type { Reply } from '../../common/context.js';
import type { InboxEntry } from '../../inbox/inbox.js';
import type { Logger } from '../../log.js';
import type { TimelineService } from '../../timeline/service.js';
import { TIMELINE_PAGE_ACTION } from '../../timeline/view.js';
import type { ActionPayload } from '../payloads.js';
import { replyForError } from '../replies.js';
import { respondTo } from '../respond.js';

/** Buttons, by action_id. */
export function actionHandler(deps: { timeline: TimelineService; log: Logger }) {
  const { timeline, log } = deps;
  return async (entry: InboxEntry): Promise<void> => {
    const payload = entry.payload as ActionPayload;
    if (!payload.actionId.startsWith(`${TIMELINE_PAGE_ACTION}_`) || !payload.responseUrl) return;
    const [incidentId, page] = payload.value.split(':').map(Number);
    const reply: Reply =
      Number.isInteger(incidentId) && Number.isInteger(page)
        ? await timeline.showPage(incidentId!, payload.userId, page!).catch((error: unknown) => replyForError(error, log))
        : { text: 'That button is out of date; type `/incident timeline` again.' };
    await respondTo(payload.responseUrl, reply, { replaceOriginal: true });
  };
}

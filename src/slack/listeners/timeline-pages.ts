import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { TimelineService } from '../../timeline/service.js';
import { TIMELINE_PAGE_ACTION } from '../../timeline/view.js';
import type { Logger } from '../../log.js';
import { replyForError } from '../replies.js';

export function registerTimelinePages(app: App, deps: { timeline: TimelineService; log: Logger }): void {
  app.action<BlockAction<ButtonAction>>(new RegExp(`^${TIMELINE_PAGE_ACTION}_`), async ({ ack, body, action, respond }) => {
    await ack();
    const [incidentId, page] = (action.value ?? '').split(':').map(Number);
    const reply =
      Number.isInteger(incidentId) && Number.isInteger(page)
        ? await deps.timeline.showPage(incidentId!, body.user.id, page!).catch((error: unknown) => replyForError(error, deps.log))
        : { text: 'That button is out of date; type `/incident timeline` again.' };
    await respond({ replace_original: true, response_type: 'ephemeral', text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) });
  });
}

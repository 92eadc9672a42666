import type { Reply } from '../../common/context.js';
import type { InboxEntry } from '../../inbox/inbox.js';
import type { Logger } from '../../log.js';
import type { TimelineService } from '../../timeline/service.js';
import { TIMELINE_PAGE_ACTION } from '../../timeline/view.js';
import type { ActionPayload } from '../payloads.js';
import { replyForError } from '../replies.js';
import { respondTo } from '../respond.js';
import type { ActionRoute } from '../routes.js';

/** The timeline's Earlier/Later buttons: the page replaces the one the button was on. */
export function timelinePageRoute(deps: { timeline: TimelineService; log: Logger }): [string, ActionRoute] {
  const { timeline, log } = deps;
  return [
    `${TIMELINE_PAGE_ACTION}_`,
    {
      async run(payload) {
        const [incidentId, page] = payload.value.split(':').map(Number);
        const reply: Reply =
          Number.isInteger(incidentId) && Number.isInteger(page)
            ? await timeline.showPage(incidentId!, payload.userId, page!).catch((error: unknown) => replyForError(error, log))
            : { text: 'That button is out of date; type `/incident timeline` again.' };
        return { reply, replaceOriginal: true };
      },
    },
  ];
}

/** Buttons, routed by action_id prefix; the answer goes to the clicker through response_url. */
export function actionHandler(deps: { routes: Record<string, ActionRoute>; log: Logger }) {
  const { routes, log } = deps;
  const prefixes = Object.keys(routes).sort((a, b) => b.length - a.length);
  return async (entry: InboxEntry): Promise<void> => {
    const payload = entry.payload as ActionPayload;
    const prefix = prefixes.find((p) => payload.actionId.startsWith(p));
    if (!prefix) return;
    const answer = await routes[prefix]!.run(payload);
    if (!answer || !payload.responseUrl) return;
    await respondTo(payload.responseUrl, answer.reply, { replaceOriginal: answer.replaceOriginal ?? false }).catch(
      (error: unknown) => log.warn({ err: String(error) }, 'could not answer a button through response_url'),
    );
  };
}

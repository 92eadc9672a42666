import type { Block, SlackMessage } from '../ports/slack.js';
import { escapeAndTruncate, mention } from '../text/mrkdwn.js';
import { formatInstant } from '../time/format.js';
import type { TimelineEvent, TimelineIncident } from './model.js';

/** Events per page: one section block each keeps a page far inside Slack's 50-block limit. */
export const TIMELINE_PAGE_SIZE = 20;
// A section's text may hold 3,000 characters, counted after escaping; the time, author and typed
// time take the rest.
const MAX_EVENT_TEXT = 2_500;
const MAX_TYPED_TIME = 100;
const MAX_HEADING_TITLE = 500;
export const TIMELINE_PAGE_ACTION = 'timeline_page';

const KIND_LABEL: Record<TimelineEvent['kind'], string> = {
  open: ':rotating_light: opened',
  note: ':memo: note',
  status: ':arrows_counterclockwise: status',
  severity: ':bar_chart: severity',
  lead: ':bust_in_silhouette: lead',
  page: ':pager: page',
  ack: ':raised_hand: ack',
  lock_snapshot: ':lock: locks',
  pinned: ':pushpin: pinned',
  close: ':white_check_mark: closed',
};

/** The event's own words, with user text escaped and only the bot's own markup left active. */
export function describeEvent(event: TimelineEvent): string {
  if (event.kind === 'lead' && typeof event.data['to'] === 'string') return `lead is now ${mention(event.data['to'])}`;
  return escapeAndTruncate(event.text, MAX_EVENT_TEXT);
}

export function timelineLine(event: TimelineEvent, zone: string): string {
  const by = event.authorId ? ` · ${mention(event.authorId)}` : '';
  const typed = event.typedTime ? ` _(typed “${escapeAndTruncate(event.typedTime, MAX_TYPED_TIME)}”)_` : '';
  return `*${formatInstant(event.occurredAt, zone)}* ${KIND_LABEL[event.kind]}${by}\n${describeEvent(event)}${typed}`;
}

/** How many pages `total` events fill, and `page` brought into range (the last one when absent). */
export function pageOf(total: number, page?: number): { pages: number; current: number } {
  const pages = Math.max(1, Math.ceil(total / TIMELINE_PAGE_SIZE));
  return { pages, current: Math.min(Math.max(page ?? pages - 1, 0), pages - 1) };
}

/**
 * One page of the timeline (`slice`, the events of page `page` out of `total`), newest page last,
 * with buttons to move between pages.
 */
export function timelinePage(
  incident: TimelineIncident,
  slice: TimelineEvent[],
  total: number,
  zone: string,
  page: number,
): SlackMessage {
  const { pages, current } = pageOf(total, page);
  const heading = `*Timeline of incident #${incident.id}: ${escapeAndTruncate(incident.title, MAX_HEADING_TITLE)}*\nTimes in ${zone}${
    pages > 1 ? ` · page ${current + 1} of ${pages}` : ''
  } · ${total} event${total === 1 ? '' : 's'}`;
  const blocks: Block[] = [{ type: 'section', text: { type: 'mrkdwn', text: heading } }];
  for (const event of slice) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: timelineLine(event, zone) } });
  if (total === 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: '_Nothing recorded yet._' } });
  const buttons: Block[] = [];
  if (current > 0) buttons.push(pageButton('← Earlier', incident.id, current - 1));
  if (current < pages - 1) buttons.push(pageButton('Later →', incident.id, current + 1));
  if (buttons.length > 0) blocks.push({ type: 'actions', elements: buttons });
  return { text: `Timeline of incident #${incident.id} (${total} events)`, blocks };
}

function pageButton(label: string, incidentId: number, page: number): Block {
  return {
    type: 'button',
    text: { type: 'plain_text', text: label },
    action_id: `${TIMELINE_PAGE_ACTION}_${page}`,
    value: `${incidentId}:${page}`,
  };
}

import type { Block, SlackMessage } from '../ports/slack.js';
import { formatDuration, slackDateToken } from '../time/format.js';
import { escapeMrkdwn, mention, truncate } from '../text/mrkdwn.js';

export const ACK_ACTION = 'escalation_ack';

export interface PageFacts {
  incidentId: number;
  title: string;
  severity: number;
  channelId: string | null;
  openedAt: Date;
  /** Everyone else paged for this incident so far. */
  others: string[];
  /** The zone of the fallback text, for clients that cannot render Slack date tokens. */
  zone: string;
}

function headline(f: PageFacts): string {
  return `:rotating_light: *Sev${f.severity}: ${escapeMrkdwn(truncate(f.title, 200))}*`;
}

function details(f: PageFacts, now: Date): string {
  const where = f.channelId ? `<#${f.channelId}>` : 'its channel is not ready yet';
  const others = f.others.length > 0 ? `Also paged: ${f.others.slice(0, 20).map(mention).join(', ')}${f.others.length > 20 ? ` and ${f.others.length - 20} more` : ''}` : 'You are the first one paged.';
  return `${where} · open for ${formatDuration(Math.max(0, now.getTime() - f.openedAt.getTime()))} (since ${slackDateToken(f.openedAt, f.zone, '{time}')})\n${others}`;
}

/** The direct message that pages one person, with the button that acknowledges. */
export function renderPage(f: PageFacts, now: Date): SlackMessage {
  const blocks: Block[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${headline(f)}\nYou are being paged.` } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: details(f, now) }] },
    {
      type: 'actions',
      elements: [{ type: 'button', style: 'primary', action_id: ACK_ACTION, value: String(f.incidentId), text: { type: 'plain_text', text: 'Acknowledge' } }],
    },
  ];
  return { text: `Paged: Sev${f.severity} ${truncate(f.title, 200)}`, blocks };
}

/** The same page once someone acknowledged: who and when, and no button. */
export function renderAcknowledged(f: PageFacts, ack: { by: string; at: Date }, now: Date): SlackMessage {
  const line = `:white_check_mark: Acknowledged by ${mention(ack.by)} at ${slackDateToken(ack.at, f.zone, '{date_short_pretty} {time}')}`;
  const blocks: Block[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `${headline(f)}\n${line}` } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: details(f, now) }] },
  ];
  return { text: `Acknowledged: Sev${f.severity} ${truncate(f.title, 200)}`, blocks };
}

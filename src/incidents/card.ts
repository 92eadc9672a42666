import type { Block, SlackMessage } from '../ports/slack.js';
import { escapeAndTruncate, escapeMrkdwn, mention, truncate, truncateEscaped } from '../text/mrkdwn.js';
import { slackDateToken } from '../time/format.js';
import { severityLabel, type Incident } from './model.js';

const STATUS_EMOJI: Record<Incident['status'], string> = {
  investigating: ':mag:',
  identified: ':dart:',
  monitoring: ':eyes:',
  resolved: ':white_check_mark:',
};

// A section's text may hold 3,000 characters, counted after escaping.
const MAX_SUMMARY = 2_900;

/** The channel topic: what someone glancing at the channel list needs. Slack allows 250 characters. */
export function incidentTopic(incident: Incident): string {
  return truncateEscaped(`${severityLabel(incident.severity)} · ${incident.status} · ${escapeMrkdwn(incident.title)}`, 250);
}

/** The incident card posted once in the incident channel and updated in place as things change. */
export function incidentCard(incident: Incident, zone: string): SlackMessage {
  const title = escapeMrkdwn(incident.title);
  const closed = incident.state === 'closed';
  const fields = [
    `*Status*\n${STATUS_EMOJI[incident.status]} ${incident.status}`,
    `*Severity*\n${severityLabel(incident.severity)}`,
    `*Lead*\n${incident.leadUserId ? mention(incident.leadUserId) : '_nobody yet: `/incident lead @someone`_'}`,
    `*Opened by*\n${mention(incident.openedBy)}`,
    `*Opened*\n${slackDateToken(incident.openedAt, zone)}`,
  ];
  if (incident.closedAt) fields.push(`*Resolved*\n${slackDateToken(incident.closedAt, zone)}`);
  const blocks: Block[] = [
    {
      type: 'header',
      // plain_text: Slack shows it literally, so mentions in the title cannot ping anyone.
      text: { type: 'plain_text', text: truncate(`Incident #${incident.id}: ${incident.title}`, 150), emoji: true },
    },
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
  ];
  if (closed && incident.closeSummary) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `*Summary*\n${escapeAndTruncate(incident.closeSummary, MAX_SUMMARY)}` } });
  }
  blocks.push({
    type: 'context',
    elements: [
      {
        type: 'mrkdwn',
        text: closed
          ? 'This incident is closed. `/incident note` still adds to its timeline.'
          : 'In this channel: `/incident status`, `severity`, `lead`, `note`, `timeline`, `close`',
      },
    ],
  });
  return {
    text: `${severityLabel(incident.severity)} incident #${incident.id}: ${title} (${incident.status})`,
    blocks,
  };
}

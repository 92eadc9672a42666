import { describe, expect, it } from 'vitest';
import { incidentCard, incidentTopic } from '../../src/incidents/card.js';
import type { Incident } from '../../src/incidents/model.js';
import { mrkdwnTexts } from '../support/mrkdwn.js';

const incident: Incident = {
  id: 7,
  teamId: 'T1',
  title: 'DB <!channel> & <@U123> locked',
  severity: 1,
  status: 'identified',
  state: 'open',
  leadUserId: 'U0LEAD',
  openedBy: 'U0OPENER',
  openedAt: new Date('2023-07-23T09:34:00Z'),
  closedAt: null,
  closeSummary: null,
  originChannelId: 'C1',
  channelId: 'C2',
  channelName: 'inc-20230723-db-locked',
  version: 1,
  cardTs: null,
  problems: [],
};

describe('incident card', () => {
  it('shows status, severity, lead and the opening time for each reader’s zone', () => {
    const card = incidentCard(incident, 'Africa/Nairobi');
    const texts = mrkdwnTexts(card.blocks).join('\n');
    expect(texts).toContain('identified');
    expect(texts).toContain('SEV1');
    expect(texts).toContain('<@U0LEAD>');
    expect(texts).toContain('<!date^1690104840^{date_short_pretty} {time}|2023-07-23 12:34 EAT>');
  });

  it('never lets the title ping anyone', () => {
    const card = incidentCard(incident, 'UTC');
    for (const text of [card.text, ...mrkdwnTexts(card.blocks)]) expect(text).not.toMatch(/<!channel>|<@U123>/);
    expect(card.text).toContain('DB &lt;!channel&gt; &amp; &lt;@U123&gt; locked');
    expect(incidentTopic(incident)).toBe('SEV1 · identified · DB &lt;!channel&gt; &amp; &lt;@U123&gt; locked');
  });

  it('cuts the topic and summary after escaping, never inside an entity', () => {
    const angry = { ...incident, title: '<'.repeat(150), state: 'closed' as const, closeSummary: '&'.repeat(3_000) };
    const topic = incidentTopic(angry);
    expect(topic.length).toBeLessThanOrEqual(250);
    expect(topic).toMatch(/^SEV1 · identified · (?:&lt;)+…$/);
    const summary = mrkdwnTexts(incidentCard(angry, 'UTC').blocks).find((t) => t.startsWith('*Summary*'))!;
    expect(summary.length).toBeLessThanOrEqual(3_000);
    expect(summary).toMatch(/^\*Summary\*\n(?:&amp;)+…$/);
  });

  it('shows the resolution and summary once closed', () => {
    const closed = { ...incident, state: 'closed' as const, status: 'resolved' as const, closedAt: new Date('2023-07-23T11:21:00Z'), closeSummary: 'killed <pid 42>' };
    const texts = mrkdwnTexts(incidentCard(closed, 'Africa/Nairobi').blocks).join('\n');
    expect(texts).toContain('2023-07-23 14:21 EAT');
    expect(texts).toContain('killed &lt;pid 42&gt;');
    expect(texts).toContain('closed');
  });
});

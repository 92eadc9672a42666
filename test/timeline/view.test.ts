import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/incidents/model.js';
import type { TimelineEvent } from '../../src/timeline/model.js';
import { TIMELINE_PAGE_SIZE, timelineLine, timelinePage } from '../../src/timeline/view.js';
import { eventDefaults } from '../support/memory-timeline.js';

const incident = { id: 3, title: 'Lock <!here>' } as Incident;

function event(i: number, overrides: Partial<TimelineEvent> = {}): TimelineEvent {
  return {
    id: i,
    incidentId: 3,
    occurredAt: new Date(Date.UTC(2023, 6, 23, 9, 34 + i)),
    recordedAt: new Date(),
    kind: 'note',
    authorId: 'U0A',
    text: `step ${i}`,
    ...eventDefaults(),
    ...overrides,
  };
}

describe('timeline view', () => {
  it('writes each line in the viewer’s zone with its abbreviation, never 13:17pm', () => {
    const line = timelineLine(event(43, { typedTime: 'July 23, 2023 13:17pm' }), 'Africa/Nairobi');
    expect(line).toMatch(/^\*2023-07-23 13:17 EAT\* :memo: note · <@U0A>\nstep 43/);
    expect(line).toContain('typed “July 23, 2023 13:17pm”');
    expect(timelineLine(event(43), 'America/New_York')).toMatch(/^\*2023-07-23 06:17 EDT\*/);
  });

  it('escapes what people typed but keeps the bot’s own mention of a new lead', () => {
    expect(timelineLine(event(1, { text: 'ping <!channel>' }), 'UTC')).toContain('ping &lt;!channel&gt;');
    expect(timelineLine(event(1, { kind: 'lead', data: { to: 'U0LEAD' } }), 'UTC')).toContain('lead is now <@U0LEAD>');
  });

  it('pages long timelines within Slack’s block limits, with buttons between pages', () => {
    const events = Array.from({ length: 45 }, (_, i) => event(i, { text: 'x'.repeat(5_000) }));
    const last = timelinePage(incident, events.slice(2 * TIMELINE_PAGE_SIZE), events.length, 'UTC', 2);
    const sections = last.blocks!.filter((b) => b.type === 'section');
    expect(sections).toHaveLength(1 + 45 - 2 * TIMELINE_PAGE_SIZE);
    for (const block of last.blocks!) {
      const text = (block as { text?: { text: string } }).text?.text ?? '';
      expect(text.length).toBeLessThanOrEqual(3_000);
    }
    expect(last.blocks!.length).toBeLessThanOrEqual(50);
    const first = timelinePage(incident, events.slice(0, TIMELINE_PAGE_SIZE), events.length, 'UTC', 0);
    const buttons = (first.blocks!.at(-1) as unknown as { elements: { value: string }[] }).elements;
    expect(buttons.map((b) => b.value)).toEqual(['3:1']);
    expect(JSON.stringify(first.blocks![0])).toContain('Lock &lt;!here&gt;');
  });
});

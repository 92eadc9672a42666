import { describe, expect, it } from 'vitest';
import { ACK_ACTION, renderAcknowledged, renderPage, type PageFacts } from '../../src/escalation/page-view.js';

const facts: PageFacts = {
  incidentId: 42,
  title: 'Checkout <!channel> & payments',
  severity: 1,
  channelId: 'C0INC1',
  openedAt: new Date('2026-03-29T00:30:00Z'),
  others: ['UB2'],
  zone: 'Europe/Berlin',
};
const now = new Date('2026-03-29T00:51:00Z');
const textOf = (blocks: unknown): string => JSON.stringify(blocks);

describe('page direct message', () => {
  it('says what, how bad, where, how long and who else, with an Acknowledge button', () => {
    const message = renderPage(facts, now);
    const text = textOf(message.blocks);
    expect(text).toContain('Sev1: Checkout &lt;!channel&gt; &amp; payments');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('<#C0INC1>');
    expect(text).toContain('open for 21m');
    expect(text).toContain('Also paged: <@UB2>');
    const actions = message.blocks?.find((b) => b.type === 'actions') as { elements: { action_id: string; value: string }[] } | undefined;
    expect(actions?.elements[0]).toMatchObject({ action_id: ACK_ACTION, value: '42' });
  });

  it('after an ack says who acknowledged and when, in each reader’s zone, with no button', () => {
    const message = renderAcknowledged(facts, { by: 'UA1', at: new Date('2026-03-29T00:40:00Z') }, now);
    const text = textOf(message.blocks);
    expect(text).toContain('Acknowledged by <@UA1> at <!date^1774744800^');
    expect(message.blocks?.some((b) => b.type === 'actions')).toBe(false);
  });

  it('tells the first person paged that they are first', () => {
    expect(textOf(renderPage({ ...facts, others: [] }, now).blocks)).toContain('You are the first one paged.');
  });
});

import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, startHarness, type Harness } from '../support/harness.js';

const ALICE = 'U0ALICE';
const PAGED = 'U0TIER1';
const SECOND = 'U0TIER2';
const YAML = `timezone: Europe/Berlin
escalation:
  default_policy: primary
  policies:
    primary:
      tiers:
        - {after: 0s, notify: [${PAGED}]}
        - {after: 1h, notify: [${SECOND}]}
`;

const backends = [
  { queues: 'postgres' as const, skip: false },
  { queues: 'redis' as const, skip: inject('redisUrl') === null },
];

describe.each(backends)('paging from Slack, queues on $queues', ({ queues, skip }) => {
  let h: Harness;
  let general: string;
  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(`esc_e2e_${queues}`, { queues, yaml: YAML });
    for (const [id, name] of [[ALICE, 'alice'], [PAGED, 'tier1'], [SECOND, 'tier2']] as const) h.fake.addUser({ id, name, tz: 'Europe/Berlin' });
    general = h.fake.addChannel({ name: 'general', members: [ALICE] }).id;
  });
  afterAll(async () => h?.stop());

  const lastText = (r: { responses(): { body: Record<string, unknown> }[] }): string => String(r.responses().at(-1)?.body['text'] ?? '');

  it.skipIf(skip)('opening pages tier 1 by DM; the button acks, the page says so, `page` and `oncall` answer', async () => {
    const opened = await h.driver.slashCommand({ text: 'open sev1 Checkout down', userId: ALICE, channelId: general });
    await opened.waitForResponses(1, 5000);
    const { rows } = await h.db.query<{ id: string; channel_id: string }>('SELECT id, channel_id FROM incidents');
    const incident = rows[0]!;
    const page = await eventually(async () => {
      const dm = h.fake.imWith(PAGED);
      return dm ? h.fake.messages(dm)[0] : undefined;
    }, 10_000);
    expect(JSON.stringify(page.blocks)).toContain('escalation_ack');

    const oncall = await h.driver.slashCommand({ text: 'oncall', userId: ALICE, channelId: incident.channel_id });
    await oncall.waitForResponses(1, 5000);
    expect(lastText(oncall)).toContain(`*Tier 2* (after 1h): <@${SECOND}>`);

    const click = await h.driver.blockAction({ userId: PAGED, actionId: 'escalation_ack', value: incident.id, channelId: h.fake.imWith(PAGED)!, messageTs: page.ts });
    expect(click.status).toBe(200);
    await click.waitForResponses(1, 5000);
    expect(lastText(click)).toContain('You acknowledged');
    await eventually(async () => {
      const text = JSON.stringify(h.fake.messages(h.fake.imWith(PAGED)!)[0]?.blocks);
      return text.includes(`Acknowledged by <@${PAGED}>`) && !text.includes('escalation_ack') ? true : undefined;
    }, 10_000);

    const again = await h.driver.slashCommand({ text: 'ack', userId: ALICE, channelId: incident.channel_id });
    await again.waitForResponses(1, 5000);
    expect(lastText(again)).toContain(`Already acknowledged by <@${PAGED}>`);

    const byHand = await h.driver.slashCommand({ text: `page <@${SECOND}>`, userId: ALICE, channelId: incident.channel_id });
    await byHand.waitForResponses(1, 5000);
    expect(lastText(byHand)).toContain(`Paged <@${SECOND}>`);
    await eventually(async () => (h.fake.imWith(SECOND) ? true : undefined), 10_000);
  });
});

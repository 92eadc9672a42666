import { afterAll, beforeAll, expect, it } from 'vitest';
import { settled, startHarness, type Harness } from '../support/harness.js';

const AMINA = 'U0AMINA01';
let h: Harness;
let general: string;

beforeAll(async () => {
  h = await startHarness('slack_outage');
  h.fake.addUser({ id: AMINA, name: 'amina', tz: 'Africa/Nairobi' });
  general = h.fake.addChannel({ name: 'general', members: [AMINA] }).id;
});
afterAll(async () => h?.stop());

async function command(text: string, channelId: string) {
  const result = await h.driver.slashCommand({ text, userId: AMINA, channelId });
  expect(result.status).toBe(200);
  expect(result.ms).toBeLessThan(3_000);
  return result;
}

it('rides out Slack answering 500s and then 429s: nothing doubled, everything delivered after', async () => {
  const opened = await command('open sev2 Before the outage', general);
  const [first] = await opened.waitForResponses(1, 5_000);
  const channel = /<#(C\w+)>/.exec(String(first?.body['text']))![1]!;
  await settled(h.db);

  h.fake.outage(4_000);
  const during = await command('open sev1 Opened during the outage', general);
  const changes = [
    await command('status identified pid 4242', channel),
    await command('note 12:34pm EAT writers queued', channel),
    await command('severity sev1', channel),
  ];
  await new Promise((resolve) => setTimeout(resolve, 4_000));
  // Then Slack is up but rate-limits the posts for a while.
  h.fake.rateLimitNext('chat.postMessage', 1, 3);

  const [reply] = await during.waitForResponses(1, 20_000);
  expect(String(reply?.body['text'])).toMatch(/Opened incident #\d+/);
  for (const change of changes) await change.waitForResponses(1, 20_000);
  await settled(h.db, 30_000);

  expect(h.fake.channels().filter((c) => c.name.includes('opened-during-the-outage'))).toHaveLength(1);
  const posted = h.fake.messages(channel).map((m) => m.text);
  expect(posted.filter((t) => t.includes('to *identified*'))).toHaveLength(1);
  expect(posted.filter((t) => t.includes('writers queued'))).toHaveLength(1);
  expect(posted.filter((t) => t.includes('to *SEV1*'))).toHaveLength(1);
  const cards = h.fake.messages(channel).filter((m) => JSON.stringify(m.blocks ?? []).includes('"header"'));
  expect(cards).toHaveLength(1);
  expect(JSON.stringify(cards[0]!.blocks)).toContain('SEV1');
  expect(h.fake.channel(channel)!.topic.value).toBe('SEV1 · identified · Before the outage');
}, 60_000);

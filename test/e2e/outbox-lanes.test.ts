import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, settled, startHarness, type Harness } from '../support/harness.js';

const AMINA = 'U0AMINA01';
const NOAH = 'U0NOAH001';

let h: Harness;
let general: string;

async function command(text: string, channelId: string, userId = AMINA): Promise<string> {
  const result = await h.driver.slashCommand({ text, userId, channelId });
  expect(result.status).toBe(200);
  const [reply] = await result.waitForResponses(1, 3_000);
  return String(reply?.body['text']);
}

async function openIncident(title: string): Promise<string> {
  const reply = await command(`open sev2 ${title}`, general);
  return /<#(C\w+)>/.exec(reply)![1]!;
}

function texts(channel: string): string[] {
  return h.fake.messages(channel).map((m) => m.text);
}

beforeAll(async () => {
  h = await startHarness('lanes');
  h.fake.addUser({ id: AMINA, name: 'amina', tz: 'Africa/Nairobi' });
  h.fake.addUser({ id: NOAH, name: 'noah', tz: 'Europe/Berlin' });
  general = h.fake.addChannel({ name: 'general', members: [AMINA, NOAH] }).id;
});
afterAll(async () => h?.stop());

describe('Slack effects per channel', () => {
  it('holds only the channel Slack throttles: others are answered and shown at once, the throttled one catches up in order, once', async () => {
    const throttled = await openIncident('Checkout slow');
    const calm = await openIncident('Search slow');
    await settled(h.db);
    h.fake.throttleChannel(throttled, 2, 20_000);
    const started = Date.now();

    expect(await command('status identified idle in transaction', throttled)).toBe('Recorded.');
    expect(await command('severity sev1', throttled, NOAH)).toBe('Recorded.');
    expect(await command('note pid 4242 holds the row lock', throttled)).toContain('Added to the timeline');
    expect(await command('status monitoring', calm)).toBe('Recorded.');

    // The calm channel's announcement and card land while the other channel is still throttled.
    await eventually(async () => (texts(calm).some((t) => t.includes('to *monitoring*')) ? true : undefined), 3_000);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(texts(throttled).some((t) => t.includes('to *identified*'))).toBe(false);

    await settled(h.db, 30_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(19_000);
    const after = texts(throttled).filter((t) => /to \*identified\*|to \*SEV1\*|noted/.test(t));
    expect(after).toEqual([
      expect.stringContaining('to *identified*'),
      expect.stringContaining('to *SEV1*'),
      expect.stringContaining('pid 4242 holds the row lock'),
    ]);
    const card = JSON.stringify(h.fake.messages(throttled)[0]?.blocks);
    expect(card).toContain('SEV1');
    expect(card).toContain('identified');
    expect(h.fake.channel(throttled)!.topic.value).toBe('SEV1 · identified · Checkout slow');
  }, 45_000);

  it('ends the card on the last of two concurrent severity changes', async () => {
    const channel = await openIncident('Replica lag');
    await settled(h.db);
    await Promise.all([command('severity sev1', channel), command('severity sev4', channel, NOAH)]);
    await settled(h.db);
    const { rows } = await h.db.query<{ severity: number }>('SELECT severity FROM incidents WHERE channel_id = $1', [channel]);
    const last = rows[0]!.severity;
    const card = JSON.stringify(h.fake.messages(channel)[0]?.blocks);
    expect(card).toContain(`SEV${last}`);
    expect(h.fake.channel(channel)!.topic.value).toMatch(new RegExp(`^SEV${last} · `));
  });

  it('shows text Slack sent encoded exactly as it was typed', async () => {
    const channel = await openIncident('Encoding drill');
    await command('note a &lt; b &amp; c', channel);
    await settled(h.db);
    const { rows } = await h.db.query<{ text: string }>(`SELECT text FROM timeline_events WHERE kind = 'note' AND text LIKE 'a %'`);
    expect(rows).toEqual([{ text: 'a < b & c' }]);
    const echo = h.fake.messages(channel).find((m) => m.text.includes('noted'))!;
    // Escaped once for Slack, which shows it as typed; never "&amp;lt;".
    expect(echo.text).toContain('a &lt; b &amp; c');
    expect(echo.text).not.toContain('&amp;lt;');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECTION_TITLES } from '../../src/postmortem/compose.js';
import { settled, startHarness, type Harness } from '../support/harness.js';

const AMINA = 'U0AMINA01';
const NOAH = 'U0NOAH001';
let h: Harness;
let general: string;
let channel: string;

async function command(text: string, channelId: string, userId = AMINA): Promise<string> {
  const result = await h.driver.slashCommand({ text, userId, channelId });
  const [reply] = await result.waitForResponses(1, 5_000);
  return String(reply?.body['text']);
}

beforeAll(async () => {
  h = await startHarness('postmortem');
  h.fake.addUser({ id: AMINA, name: 'amina', tz: 'Africa/Nairobi' });
  h.fake.addUser({ id: NOAH, name: 'noah', tz: 'Europe/Berlin' });
  general = h.fake.addChannel({ name: 'general', members: [AMINA, NOAH] }).id;
  const opened = await command('open sev1 Checkout slow: orders table locked', general);
  channel = /<#(C\w+)>/.exec(opened)![1]!;
  await settled(h.db);
});
afterAll(async () => h?.stop());

describe('the postmortem at close', () => {
  it('publishes one draft with what the channel said, including what the bot missed, through 429s', async () => {
    await command('note 10 minutes ago writers queue behind pid 4242', channel);
    // Posted while the bot was not listening, before messages it did capture: only the backfill
    // at close can find these.
    const missed = h.fake.postAsUser(channel, NOAH, 'missed: the SAVEPOINT never released');
    h.fake.postAsUser(channel, AMINA, 'missed reply: terminating it now', { thread_ts: missed.ts });
    const live = h.fake.postAsUser(channel, NOAH, 'seen live: pid 4242 idle in transaction');
    await h.driver.event(h.fake.messageEvent(live));
    h.fake.rateLimitNext('conversations.history', 1, 2);
    h.fake.rateLimitNext('conversations.replies', 1, 1);

    const closed = await command('close terminated pid 4242 (idle in transaction after a SAVEPOINT)', channel);
    expect(closed).toContain('postmortem draft will be posted');
    await settled(h.db, 20_000);

    const files = h.fake.files(channel);
    expect(files).toHaveLength(1);
    const draft = files[0]!.content;
    for (const section of SECTION_TITLES) expect(draft).toContain(`## ${section}`);
    expect(draft).toContain('seen live: pid 4242 idle in transaction');
    expect(draft).toContain('missed: the SAVEPOINT never released');
    expect(draft).toContain('  - ');
    expect(draft).toContain('missed reply: terminating it now');
    expect(draft).toContain('terminated pid 4242 (idle in transaction after a SAVEPOINT)');
    expect(draft).not.toMatch(/1[3-9]:\d{2}\s*pm/i);
    expect(draft.match(/missed: the SAVEPOINT/g)).toHaveLength(1);
    // The bot's own posts (card, announcements) are not channel history for the postmortem.
    expect(draft).not.toContain('changed the status');
    const { rows } = await h.db.query('SELECT version, file_id IS NOT NULL AS uploaded, message_ts IS NOT NULL AS announced FROM postmortems');
    expect(rows).toEqual([{ version: 1, uploaded: true, announced: true }]);
  });

  it('recompiles on /incident postmortem as a new version with the late note', async () => {
    await command('note 12:34pm EAT late note: the first user report', channel);
    expect(await command('postmortem', channel)).toContain('a new version is posted in this channel');
    await settled(h.db, 20_000);
    const files = h.fake.files(channel);
    expect(files.map((f) => f.name)).toEqual([expect.stringContaining('-v1.md'), expect.stringContaining('-v2.md')]);
    expect(files[1]!.content).toContain('late note: the first user report');
    const { rows } = await h.db.query('SELECT version FROM postmortems WHERE message_ts IS NOT NULL ORDER BY version');
    expect(rows).toEqual([{ version: 1 }, { version: 2 }]);
  });
});

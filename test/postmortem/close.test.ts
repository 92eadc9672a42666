// The real bot: `/incident close` answers, then the draft appears in the channel with what was
// said there while the bot was not told (backfilled); `/incident postmortem` republishes it.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { settled, startHarness, type Harness } from '../support/harness.js';

const AMINA = 'U0AMINA01';
let h: Harness;

beforeAll(async () => {
  h = await startHarness('pm_close');
  h.fake.addUser({ id: AMINA, name: 'amina', tz: 'Africa/Nairobi' });
});
afterAll(async () => h?.stop());

function responseText(result: { responses(): { body: Record<string, unknown> }[] }): string {
  return String(result.responses().at(-1)?.body['text'] ?? '');
}

it('publishes the draft at close, and /incident postmortem a new version only when something changed', async () => {
  const general = h.fake.addChannel({ name: 'general', members: [AMINA] }).id;
  const opened = await h.driver.slashCommand({ text: 'open sev2 Orders table locked', userId: AMINA, channelId: general });
  await opened.waitForResponses(1, 5_000);
  const channelId = /<#(C\w+)>/.exec(responseText(opened))![1]!;
  await settled(h.db);
  // Said in the channel, but no event reached the bot: only the backfill can find it.
  h.fake.postAsUser(channelId, AMINA, 'pid 4242 is idle in transaction');

  const close = await h.driver.slashCommand({ text: 'close an idle transaction held the row lock', userId: AMINA, channelId });
  expect(close.status).toBe(200);
  await close.waitForResponses(1, 5_000);
  await settled(h.db, 20_000);

  const [file] = h.fake.files(channelId);
  expect(file?.name).toMatch(/^postmortem-incident-\d+-v1\.md$/);
  for (const section of ['Incident Summary', 'Incident Timeline', 'Root Cause', 'Lock Evidence', 'Conclusion']) expect(file!.content).toContain(`## ${section}`);
  expect(file!.content).toContain('an idle transaction held the row lock');
  expect(file!.content).toContain('pid 4242 is idle in transaction');
  // The bot's own posts (the card, the announcements), captured live like any message, stay out.
  const transcript = file!.content.slice(file!.content.indexOf('## Channel Messages'));
  expect(transcript).not.toContain(`@${h.fake.botUserId}`);
  const memo = h.fake.messages(channelId).filter((m) => m.text.startsWith(':memo: Postmortem draft'));
  expect(memo).toHaveLength(1);

  const again = await h.driver.slashCommand({ text: 'postmortem', userId: AMINA, channelId });
  await again.waitForResponses(1, 5_000);
  expect(responseText(again)).toContain('Recompiling the postmortem draft');
  await settled(h.db, 20_000);
  // Nothing new was recorded: the same version stands, nothing is posted twice.
  expect(h.fake.files(channelId)).toHaveLength(1);
  const { rows } = await h.db.query<{ version: number; file_id: string | null; message_ts: string | null }>(
    'SELECT version, file_id, message_ts FROM postmortems ORDER BY version',
  );
  expect(rows.map((r) => [r.version, r.file_id !== null, r.message_ts !== null])).toEqual([[1, true, true]]);

  // A late word in the channel makes the next recompile a new version, which says what changed.
  h.fake.postAsUser(channelId, AMINA, 'follow-up: set idle_in_transaction_session_timeout');
  const late = await h.driver.slashCommand({ text: 'postmortem', userId: AMINA, channelId });
  await late.waitForResponses(1, 5_000);
  await settled(h.db, 20_000);
  expect(h.fake.files(channelId).map((f) => f.name)).toEqual([file!.name, file!.name.replace('-v1.md', '-v2.md')]);
  const memos = h.fake.messages(channelId).filter((m) => m.text.startsWith(':memo: Postmortem draft'));
  expect(memos.at(-1)?.text).toContain('version 2 (1 more channel message; sections changed:');
});

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateMessageBlocks } from '../support/fake-slack/blocks.js';
import { eventually, settled, startHarness, type Harness } from '../support/harness.js';

const NAIROBI = 'U0NAIROBI1';
const NEW_YORK = 'U0NEWYORK1';
const TOKYO = 'U0TOKYO001';
const BERLIN = 'U0BERLIN01';

// The timeline lines of the seed postmortem, exactly as their authors typed them (East Africa Time).
const SEED = readFileSync(new URL('../fixtures/seed-postmortem.md', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => /^[-*+] July 23, 2023/.test(line));

let clockOffsetMs = 0;
let h: Harness;
let general: string;

beforeAll(async () => {
  h = await startHarness('timeline', { slackNow: () => Date.now() + clockOffsetMs });
  h.fake.addUser({ id: NAIROBI, name: 'amina', tz: 'Africa/Nairobi' });
  h.fake.addUser({ id: NEW_YORK, name: 'noah', tz: 'America/New_York' });
  h.fake.addUser({ id: TOKYO, name: 'yuki', tz: 'Asia/Tokyo' });
  h.fake.addUser({ id: BERLIN, name: 'lena', tz: 'Europe/Berlin' });
  general = h.fake.addChannel({ name: 'general', members: [NAIROBI, NEW_YORK, TOKYO, BERLIN] }).id;
});
afterAll(async () => h?.stop());

async function command(userId: string, channelId: string, text: string): Promise<Record<string, unknown>> {
  const result = await h.driver.slashCommand({ text, userId, channelId });
  expect(result.status).toBe(200);
  const [response] = await result.waitForResponses(1, 5_000);
  return response!.body;
}

async function openIncident(title: string): Promise<string> {
  const reply = await command(NAIROBI, general, `open sev2 ${title}`);
  return /<#(C\w+)>/.exec(String(reply['text']))![1]!;
}

/** The lines of an ephemeral timeline reply, one per event, in the order shown. */
function eventLines(body: Record<string, unknown>): string[] {
  const blocks = (body['blocks'] as { type: string; text?: { text: string } }[]) ?? [];
  return blocks
    .filter((b) => b.type === 'section')
    .slice(1)
    .map((b) => b.text!.text);
}

describe('the timeline', () => {
  it('reads back the seed postmortem, typed as its authors typed it, in order and in EAT', async () => {
    expect(SEED).toHaveLength(7);
    const channel = await openIncident('Database lock');
    const replies: string[] = [];
    for (const line of SEED) replies.push(String((await command(NAIROBI, channel, `note ${line}`))['text']));

    expect(replies[0]).toContain('<!date^1690104840^');
    expect(replies[0]).toContain('2023-07-23 12:34 EAT');
    expect(replies[0]).toContain('Africa/Nairobi');
    expect(replies[3]).toMatch(/13:17pm.*read as 13:17/);

    const timeline = await command(NAIROBI, channel, 'timeline');
    expect(timeline['response_type']).toBe('ephemeral');
    const lines = eventLines(timeline);
    const times = lines.map((line) => /^\*([^*]+)\*/.exec(line)?.[1]);
    expect(times.slice(0, 7)).toEqual([
      '2023-07-23 12:34 EAT',
      '2023-07-23 12:37 EAT',
      '2023-07-23 12:55 EAT',
      '2023-07-23 13:17 EAT',
      '2023-07-23 13:23 EAT',
      '2023-07-23 13:51 EAT',
      '2023-07-23 14:21 EAT',
    ]);
    expect(lines[0]).toContain('Incident identified - Users reported slow website/application performance and errors.');
    expect(lines[6]).toContain('Incident resolved');
    expect(lines.join('\n')).not.toMatch(/\b1[3-9]:\d\d ?pm\b.*EAT\*/i);
    // The incident was opened today, after everything the notes backdate.
    expect(lines[7]).toContain('opened');

    const { rows } = await h.db.query<{ at: string; warnings: string[] }>(
      `SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'HH24:MI') AS at, warnings FROM timeline_events
       WHERE kind = 'note' AND incident_id = (SELECT id FROM incidents WHERE channel_id = $1) ORDER BY occurred_at`,
      [channel],
    );
    expect(rows.map((r) => r.at)).toEqual(['09:34', '09:37', '09:55', '10:17', '10:23', '10:51', '11:21']);
    expect(rows.filter((r) => r.warnings.length > 0)).toHaveLength(4);
  });

  it('shows notes typed in three zones correctly in a fourth', async () => {
    const channel = await openIncident('Cross zone');
    await command(NAIROBI, channel, 'note 2024-07-01 12:00 deploy started');
    await command(NEW_YORK, channel, 'note 2024-07-01 05:30 errors spike');
    await command(TOKYO, channel, 'note 2024-07-01 19:00 JST rollback done');
    const lines = eventLines(await command(BERLIN, channel, 'timeline'));
    expect(lines.slice(0, 3).map((line) => /^\*([^*]+)\*/.exec(line)?.[1])).toEqual([
      '2024-07-01 11:00 CEST',
      '2024-07-01 11:30 CEST',
      '2024-07-01 12:00 CEST',
    ]);
    expect(lines[0]).toContain('deploy started');
    expect(lines[1]).toContain('errors spike');
    expect(lines[2]).toContain('rollback done');
  });

  it('falls back to the team zone, and says so, when Slack cannot tell the typist’s zone', async () => {
    const channel = await openIncident('No zone');
    h.fake.addUser({ id: 'U0NOZONE01', name: 'pat', tz: 'Asia/Tokyo' });
    h.fake.failNext('users.info', 'internal_error', 5);
    const reply = String((await command('U0NOZONE01', channel, 'note 2024-07-01 12:00 cache flushed'))['text']);
    expect(reply).toContain('2024-07-01 12:00 EAT');
    expect(reply).toContain('the team time zone');
  });

  it('refuses a future time and keeps nothing of it', async () => {
    const channel = await openIncident('Future');
    const reply = await command(NAIROBI, channel, 'note 2099-01-01 10:00 from the future');
    expect(String(reply['text'])).toContain('future');
    const lines = eventLines(await command(NAIROBI, channel, 'timeline'));
    expect(lines.join('\n')).not.toContain('from the future');
  });

  it('puts a pinned message on the timeline at the time it was posted, once', async () => {
    const channel = await openIncident('Pins');
    const message = h.fake.postAsUser(channel, NEW_YORK, 'replica lag is 40s on db-2');
    await h.driver.event(h.fake.messageEvent(message));

    // People react twenty minutes after the message was posted.
    clockOffsetMs = 20 * 60_000;
    const reaction = h.fake.reactAsUser(channel, message.ts, BERLIN, 'pushpin');
    const first = await h.driver.event(reaction);
    await h.driver.event(reaction, { eventId: first.eventId, retryNum: 1, retryReason: 'http_timeout' });
    await h.driver.event(h.fake.reactAsUser(channel, message.ts, TOKYO, 'pushpin'));
    await h.driver.event(h.fake.pinAsUser(channel, message.ts, NAIROBI));
    await h.driver.event(h.fake.reactAsUser(channel, message.ts, TOKYO, 'eyes'));
    clockOffsetMs = 0;

    const pinned = await eventually(async () => {
      const { rows } = await h.db.query<{ occurred_at: Date; text: string; author_id: string }>(
        `SELECT occurred_at, text, author_id FROM timeline_events WHERE kind = 'pinned' AND source_ts = $1`,
        [message.ts],
      );
      return rows.length > 0 ? rows : undefined;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { rows: all } = await h.db.query(`SELECT 1 FROM timeline_events WHERE kind = 'pinned' AND source_ts = $1`, [
      message.ts,
    ]);
    expect(all).toHaveLength(1);
    expect(pinned[0]!.text).toBe('replica lag is 40s on db-2');
    expect(pinned[0]!.author_id).toBe(NEW_YORK);
    const postedAt = Number(message.ts) * 1000;
    expect(Math.abs(pinned[0]!.occurred_at.getTime() - postedAt)).toBeLessThan(1);
    expect(Number(reaction.event_ts) * 1000 - pinned[0]!.occurred_at.getTime()).toBeGreaterThan(19 * 60_000);
  });

  it('fetches a pinned message it never saw from Slack', async () => {
    const channel = await openIncident('Unseen pin');
    const message = h.fake.postAsUser(channel, TOKYO, 'orders table locked by pid 4242');
    await h.driver.event(h.fake.reactAsUser(channel, message.ts, TOKYO, 'pushpin'));
    const row = await eventually(async () => {
      const { rows } = await h.db.query(`SELECT text FROM timeline_events WHERE kind = 'pinned' AND source_ts = $1`, [
        message.ts,
      ]);
      return rows[0] as { text: string } | undefined;
    });
    expect(row.text).toBe('orders table locked by pid 4242');
  });

  it('captures incident-channel messages live, with edits and deletions, and nothing from other channels', async () => {
    const channel = await openIncident('Capture');
    const kept = h.fake.postAsUser(channel, NAIROBI, 'restarting pgbouncer');
    const gone = h.fake.postAsUser(channel, NAIROBI, 'oops wrong channel');
    const elsewhere = h.fake.postAsUser(general, NAIROBI, 'lunch?');
    for (const message of [kept, gone, elsewhere]) await h.driver.event(h.fake.messageEvent(message));
    await h.driver.event({
      type: 'message',
      subtype: 'message_changed',
      channel,
      ts: `${Math.floor(Date.now() / 1000)}.000900`,
      message: { ts: kept.ts, text: 'restarting pgbouncer on db-1', edited: { user: NAIROBI, ts: kept.ts } },
    });
    await h.driver.event({ type: 'message', subtype: 'message_deleted', channel, deleted_ts: gone.ts });
    const rows = await eventually(async () => {
      const { rows } = await h.db.query<{ channel_id: string; text: string; deleted: boolean }>(
        'SELECT channel_id, text, deleted FROM channel_messages WHERE ts = ANY($1) ORDER BY ts',
        [[kept.ts, gone.ts, elsewhere.ts]],
      );
      return rows.length === 2 && rows[1]!.deleted && rows[0]!.text.endsWith('db-1') ? rows : undefined;
    });
    expect(rows.map((r) => r.channel_id)).toEqual([channel, channel]);
  });

  it('does not capture its own edits (the card) as channel history', async () => {
    const channel = await openIncident('Own edits');
    const { rows: incidents } = await h.db.query<{ card_ts: string }>('SELECT card_ts FROM incidents WHERE channel_id = $1', [channel]);
    const cardTs = incidents[0]!.card_ts;
    await h.driver.event({
      type: 'message',
      subtype: 'message_changed',
      channel,
      ts: `${Math.floor(Date.now() / 1000)}.000950`,
      message: { ts: cardTs, bot_id: h.fake.botId, user: h.fake.botUserId, text: 'SEV1 incident', edited: { user: h.fake.botUserId, ts: cardTs } },
    });
    const person = h.fake.postAsUser(channel, NAIROBI, 'after the card edit');
    await h.driver.event(h.fake.messageEvent(person));
    await eventually(async () => {
      const { rows } = await h.db.query('SELECT 1 FROM channel_messages WHERE ts = $1', [person.ts]);
      return rows.length > 0 ? rows : undefined;
    });
    const { rows } = await h.db.query('SELECT 1 FROM channel_messages WHERE channel_id = $1 AND ts = $2', [channel, cardTs]);
    expect(rows).toEqual([]);
  });

  it('shows text Slack sent encoded as it was typed: decoded once, stored plain, escaped once', async () => {
    const channel = await openIncident('Encoding');
    // The person typed `a < b & c`; Slack sends command text with &, < and > encoded.
    await command(NAIROBI, channel, 'note a &lt; b &amp; c');
    await settled(h.db);
    const echo = h.fake.messages(channel).find((m) => m.text?.includes('noted'));
    expect(echo?.text).toMatch(/: a &lt; b &amp; c$/);
    const { rows } = await h.db.query<{ text: string }>(
      `SELECT text FROM timeline_events WHERE kind = 'note' AND incident_id = (SELECT id FROM incidents WHERE channel_id = $1)`,
      [channel],
    );
    expect(rows.map((r) => r.text)).toEqual(['a < b & c']);

    const timeline = JSON.stringify(await command(NAIROBI, channel, 'timeline'));
    expect(timeline).toContain('a &lt; b &amp; c');
    expect(timeline).not.toMatch(/&amp;(?:lt|gt|amp);/);
  });

  it('keeps a page valid when a pinned message is full of characters that escaping lengthens', async () => {
    const channel = await openIncident('Escaped length');
    // 3,000 `<` typed: Slack sends and stores them as 3,000 `&lt;`.
    const message = h.fake.postAsUser(channel, TOKYO, '&lt;'.repeat(3_000));
    await h.driver.event(h.fake.messageEvent(message));
    await h.driver.event(h.fake.reactAsUser(channel, message.ts, TOKYO, 'pushpin'));
    await eventually(async () => {
      const { rows } = await h.db.query(`SELECT 1 FROM timeline_events WHERE kind = 'pinned' AND source_ts = $1`, [message.ts]);
      return rows.length > 0 ? rows : undefined;
    });

    const timeline = await command(NAIROBI, channel, 'timeline');
    expect(() => validateMessageBlocks(timeline['blocks'])).not.toThrow();
    const pinned = eventLines(timeline).find((line) => line.includes(':pushpin: pinned'))!;
    expect(pinned.length).toBeLessThanOrEqual(3_000);
    const body = pinned.split('\n')[1]!;
    expect(body).toMatch(/^(?:&lt;)+…$/);
  });

  it('pages a long timeline instead of cutting it, latest page first', async () => {
    const channel = await openIncident('Long');
    for (let i = 1; i <= 44; i += 1) await command(NAIROBI, channel, `note ${i} minutes ago step ${45 - i}`);
    const last = await command(NAIROBI, channel, 'timeline');
    expect(JSON.stringify(last)).toContain('page 3 of 3');
    expect(eventLines(last)).toHaveLength(5);

    const actions = (last['blocks'] as { type: string; elements?: { action_id: string; value: string }[] }[]).find(
      (b) => b.type === 'actions',
    )!;
    const earlier = actions.elements![0]!;
    const result = await h.driver.blockAction({
      userId: NAIROBI,
      channelId: channel,
      messageTs: '1700000000.000100',
      actionId: earlier.action_id,
      value: earlier.value,
    });
    const [page] = await result.waitForResponses(1, 5_000);
    expect(page!.body['replace_original']).toBe(true);
    expect(JSON.stringify(page!.body)).toContain('page 2 of 3');
    expect(eventLines(page!.body)).toHaveLength(20);
  });
});

import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedCounts, settled, SIGNING_SECRET, startHarness, type Harness } from '../support/harness.js';

const MALLORY = 'U0MALLORY';
let h: Harness;
let general: string;
let incidentChannel: string;

function sign(body: string, timestamp: number): string {
  return `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function commandBody(text: string, channelId: string): string {
  const hook = h.fake.issueResponseUrl({ channelId, userId: MALLORY });
  return new URLSearchParams({
    team_id: h.fake.teamId,
    channel_id: channelId,
    user_id: MALLORY,
    command: '/incident',
    text,
    response_url: hook.url,
    trigger_id: h.fake.issueTrigger(MALLORY),
  }).toString();
}

/** A raw POST to /slack/events, for requests the well-behaved driver would never send. */
function rawPost(body: string | Buffer, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${h.bot.url}/slack/events`, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', (error: NodeJS.ErrnoException) => (error.code === 'EPIPE' || error.code === 'ECONNRESET' ? resolve(413) : reject(error)));
    req.end(body);
  });
}

beforeAll(async () => {
  h = await startHarness('hostile');
  h.fake.addUser({ id: MALLORY, name: 'mallory', tz: 'UTC' });
  general = h.fake.addChannel({ name: 'general', members: [MALLORY] }).id;
  const opened = await h.driver.slashCommand({ text: 'open sev3 Hostile drill', userId: MALLORY, channelId: general });
  const [reply] = await opened.waitForResponses(1, 5_000);
  incidentChannel = /<#(C\w+)>/.exec(String(reply?.body['text']))![1]!;
  await settled(h.db);
});
afterAll(async () => h?.stop());

describe('requests that are not what Slack sends', () => {
  it('refuses a body changed after it was signed, and records nothing', async () => {
    const before = await recordedCounts(h.db);
    const timestamp = Math.floor(Date.now() / 1000);
    const signed = commandBody('note all is well', incidentChannel);
    const tampered = signed.replace('all+is+well', 'terminate+everything');
    const status = await rawPost(tampered, {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(tampered)),
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': sign(signed, timestamp),
    });
    expect(status).toBe(401);
    await settled(h.db);
    expect(await recordedCounts(h.db)).toEqual(before);
  });

  it('records a replayed request (same body, same signature) once', async () => {
    const timestamp = Math.floor(Date.now() / 1000);
    const body = commandBody('note replayed once', incidentChannel);
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'content-length': String(Buffer.byteLength(body)),
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': sign(body, timestamp),
    };
    expect(await rawPost(body, headers)).toBe(200);
    expect(await rawPost(body, headers)).toBe(200);
    await settled(h.db);
    const { rows } = await h.db.query(`SELECT count(*)::int AS n FROM timeline_events WHERE text = 'replayed once'`);
    expect(rows[0]).toEqual({ n: 1 });
  });

  it('refuses an oversized body or one without a length before reading it', async () => {
    const before = await recordedCounts(h.db);
    const huge = Buffer.alloc(2 * 1024 * 1024, 'a');
    expect(await rawPost(huge, { 'content-type': 'application/json', 'content-length': String(huge.length) })).toBe(413);
    expect(await rawPost('{}', { 'content-type': 'application/json', 'transfer-encoding': 'chunked' })).toBe(411);
    expect(await recordedCounts(h.db)).toEqual(before);
  });
});

describe('text that tries to be markup or SQL', () => {
  it.each([
    ['note <!channel> wake everyone <@U0ALICE01> <https://evil.example|click>', '&lt;!channel&gt;'],
    ["note '); DROP TABLE incidents; -- $1 \\x00", 'DROP TABLE incidents'],
    ['status identified *bold* ```code``` <!here>', '&lt;!here&gt;'],
  ])('%j is stored as typed and shown inert', async (typed, shown) => {
    const result = await h.driver.slashCommand({ text: typed, userId: MALLORY, channelId: incidentChannel });
    await result.waitForResponses(1, 5_000);
    await settled(h.db);
    const posted = h.fake.messages(incidentChannel).map((m) => m.text).join('\n');
    expect(posted).toContain(shown);
    expect(posted).not.toMatch(/<!channel>|<!here>|<@U0ALICE01>|<https:\/\/evil/);
    const { rows } = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM incidents');
    expect(rows[0]!.n).toBeGreaterThanOrEqual(1);
  });
});

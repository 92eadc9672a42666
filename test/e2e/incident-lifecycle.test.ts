import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HOUSEKEEPING_QUEUE, PRUNE_SCHEDULER } from '../../src/housekeeping.js';
import type { FakeMessage } from '../support/fake-slack/types.js';
import { mrkdwnTexts } from '../support/mrkdwn.js';
import { eventually, recordedCounts, settled, startHarness, type Harness } from '../support/harness.js';

const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';
const BOT_USER = 'U0OTHERBOT';
const SLACK_NAME = /^[a-z0-9][a-z0-9_-]{0,79}$/;

function text(message: FakeMessage | undefined): string {
  return JSON.stringify([message?.text, message?.blocks]);
}

/** Every piece of a message Slack parses for mentions: its text and all mrkdwn objects. */
function mrkdwnOf(message: FakeMessage): string[] {
  return [message.text, ...mrkdwnTexts(message.blocks)];
}

function lastResponseText(result: { responses(): { body: Record<string, unknown> }[] }): string {
  const responses = result.responses();
  return String(responses[responses.length - 1]?.body['text'] ?? '');
}

async function setUp(h: Harness): Promise<string> {
  h.fake.addUser({ id: ALICE, name: 'alice', tz: 'Africa/Nairobi' });
  h.fake.addUser({ id: BOB, name: 'bob', tz: 'America/New_York' });
  h.fake.addUser({ id: BOT_USER, name: 'alertbot', tz: 'UTC', is_bot: true });
  return h.fake.addChannel({ name: 'general', members: [ALICE, BOB] }).id;
}

async function open(h: Harness, general: string, args: string, userId = ALICE) {
  const result = await h.driver.slashCommand({ text: `open ${args}`, userId, channelId: general });
  expect(result.status).toBe(200);
  await result.waitForResponses(1, 5_000);
  return result;
}

async function incidentChannelOf(h: Harness, id: number): Promise<string> {
  const { rows } = await h.db.query<{ channel_id: string }>('SELECT channel_id FROM incidents WHERE id = $1', [id]);
  return rows[0]!.channel_id;
}

const backends = [
  { queues: 'postgres' as const, skip: false },
  { queues: 'redis' as const, skip: inject('redisUrl') === null },
];

describe.each(backends)('the incident lifecycle, queues on $queues', ({ queues, skip }) => {
  let h: Harness;
  let general: string;
  beforeAll(async () => {
    if (skip) return;
    h = await startHarness(`life_${queues}`, { queues });
    general = await setUp(h);
  });
  afterAll(async () => h?.stop());

  it.skipIf(skip)('opens, changes, and closes an incident the way a responder sees it', async () => {
    const opened = await open(h, general, 'sev1 Checkout <!channel> failing for <@U0BOB0001>');
    expect(lastResponseText(opened)).toMatch(/Opened incident #\d+ \(SEV1\) in <#C\w+>/);

    const channelId = /<#(C\w+)>/.exec(lastResponseText(opened))![1]!;
    await settled(h.db);
    const channel = h.fake.channel(channelId)!;
    expect(channel.name).toMatch(/^inc-\d{8}-checkout-channel-failing-for-u0bob0001$/);
    expect(channel.members).toContain(ALICE);
    expect(channel.topic.value).toBe('SEV1 · investigating · Checkout &lt;!channel&gt; failing for &lt;@U0BOB0001&gt;');

    const [card] = h.fake.messages(channelId);
    expect(text(card)).toContain('investigating');
    // The title is shown, never acted on: no live mention anywhere the bot posted.
    for (const message of h.fake.messages(channelId)) {
      for (const parsed of mrkdwnOf(message)) expect(parsed).not.toMatch(/<!channel>|<@U0BOB0001>/);
    }

    const status = await h.driver.slashCommand({ text: 'status identified bad deploy', userId: ALICE, channelId });
    await status.waitForResponses(1, 5_000);
    expect(lastResponseText(status)).toBe('Recorded.');
    const severity = await h.driver.slashCommand({ text: 'severity sev2', userId: BOB, channelId });
    await severity.waitForResponses(1, 5_000);
    const lead = await h.driver.slashCommand({ text: `lead <@${BOB}|bob>`, userId: ALICE, channelId });
    await lead.waitForResponses(1, 5_000);
    expect(lastResponseText(lead)).toBe('Recorded.');
    await settled(h.db);

    const after = h.fake.messages(channelId);
    const updatedCard = after.find((m) => m.ts === card!.ts);
    expect(text(updatedCard)).toContain('identified');
    expect(text(updatedCard)).toContain('SEV2');
    expect(text(updatedCard)).toContain(`<@${BOB}>`);
    expect(h.fake.calls('chat.update').length).toBeGreaterThanOrEqual(3);
    expect(h.fake.channel(channelId)!.members).toContain(BOB);
    expect(h.fake.channel(channelId)!.topic.value).toMatch(/^SEV2 · identified/);
    expect(after.some((m) => m.text.includes('changed the status from *investigating* to *identified*: bad deploy'))).toBe(true);

    const list = await h.driver.slashCommand({ text: 'list', userId: BOB, channelId: general });
    await list.waitForResponses(1, 5_000);
    expect(lastResponseText(list)).toContain(`<#${channelId}>`);

    const close = await h.driver.slashCommand({ text: 'close rolled back the deploy', userId: ALICE, channelId });
    await close.waitForResponses(1, 5_000);
    await settled(h.db);
    const closedCard = h.fake.messages(channelId).find((m) => m.ts === card!.ts);
    expect(text(closedCard)).toContain('resolved');
    expect(text(closedCard)).toContain('rolled back the deploy');

    const { rows } = await h.db.query(
      `SELECT kind, text FROM timeline_events e JOIN incidents i ON i.id = e.incident_id
       WHERE i.channel_id = $1 ORDER BY occurred_at, e.id`,
      [channelId],
    );
    expect(rows.map((r: { kind: string }) => r.kind)).toEqual(['open', 'status', 'severity', 'lead', 'close']);

    const late = await h.driver.slashCommand({ text: 'status monitoring', userId: ALICE, channelId });
    await late.waitForResponses(1, 5_000);
    expect(lastResponseText(late)).toContain('is closed');
    const listAfter = await h.driver.slashCommand({ text: 'list', userId: BOB, channelId: general });
    await listAfter.waitForResponses(1, 5_000);
    expect(lastResponseText(listAfter)).not.toContain(`<#${channelId}>`);
  });

  it.skipIf(skip)('answers /healthz with the store and the queue checked, and /metrics in Prometheus text', async () => {
    const health = await fetch(`${h.bot.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { store: 'ok', queue: 'ok' } });
    const metrics = await (await fetch(`${h.bot.url}/metrics`)).text();
    expect(metrics).toMatch(/firebreak_http_requests_total\{route="\/slack\/events",status="200"\} \d+/);
    expect(metrics).toMatch(/firebreak_slack_ack_seconds_bucket\{le="0.1"\} \d+/);
    expect(metrics).toMatch(/firebreak_commands_total\{command="open",outcome="ok"\} \d+/);
  });

  it.skipIf(skip)('schedules its hourly housekeeping on the queue', async () => {
    const scheduler = await h.bot.queues.queue(HOUSEKEEPING_QUEUE).getJobScheduler(PRUNE_SCHEDULER);
    expect(scheduler).toMatchObject({ every: 3_600_000 });
  });
});

describe('bad input and Slack failures', () => {
  let h: Harness;
  let general: string;
  let incidentChannel: string;
  beforeAll(async () => {
    h = await startHarness('bad_input');
    general = await setUp(h);
    const opened = await open(h, general, 'sev3 Search is slow');
    incidentChannel = /<#(C\w+)>/.exec(lastResponseText(opened))![1]!;
    await settled(h.db);
  });
  afterAll(async () => h?.stop());

  it.each([
    ['frobnicate', 'is not an /incident command', '/incident help'],
    ['open sev9 Database down', '“sev9” is not a severity', '/incident open [sev1-4] <title>'],
    ['open <4,000 characters>', 'the title is 4000 characters long', '/incident open'],
    ['open :fire: :scream: :fire:', 'not only emoji', '/incident open'],
    ['open 🔥🔥🔥', 'not only emoji', '/incident open'],
    ['status', 'which status?', '/incident status'],
    ['status done', '“done” is not a status', 'investigating|identified|monitoring|resolved'],
    ['severity sev0', 'not a severity', '/incident severity'],
    ['lead bob', 'not a @mention', '/incident lead'],
    ['note', 'the note is empty', '/incident note'],
  ])('%j gets an ephemeral answer in the ack, with the right form, and changes nothing', async (typed, error, usage) => {
    const before = await recordedCounts(h.db);
    const result = await h.driver.slashCommand({
      text: typed.replace('<4,000 characters>', 'a'.repeat(4000)),
      userId: ALICE,
      channelId: incidentChannel,
    });
    expect(result.status).toBe(200);
    expect(result.ms).toBeLessThan(3_000);
    expect(result.body).toMatchObject({ response_type: 'ephemeral' });
    const reply = String((result.body as { text: string }).text);
    expect(reply).toContain(error);
    expect(reply).toContain(usage);
    expect(await recordedCounts(h.db)).toEqual(before);
  });

  it.each([
    [`lead <@U0NOBODY1|ghost>`, 'is not a user of this workspace'],
    [`lead <@${BOT_USER}|alertbot>`, 'is a bot'],
    ['note 25:99 the cache died', '25:99'],
    ['note 12:34 IST db failover', 'IST is ambiguous'],
  ])('%j is refused after checking, ephemerally, with nothing recorded', async (typed, error) => {
    const before = await recordedCounts(h.db);
    const result = await h.driver.slashCommand({ text: typed, userId: ALICE, channelId: incidentChannel });
    const [response] = await result.waitForResponses(1, 5_000);
    expect(response!.body['response_type']).toBe('ephemeral');
    expect(String(response!.body['text'])).toContain(error);
    expect(await recordedCounts(h.db)).toEqual(before);
  });

  it('refuses incident commands outside an incident channel', async () => {
    const result = await h.driver.slashCommand({ text: 'status identified', userId: ALICE, channelId: general });
    await result.waitForResponses(1, 5_000);
    expect(lastResponseText(result)).toContain('not an incident channel');
  });

  it('rejects unsigned, badly signed and stale requests with 401 and changes nothing', async () => {
    const before = await recordedCounts(h.db);
    for (const signature of ['none', 'bad', 'stale'] as const) {
      const result = await h.driver.slashCommand({ text: 'open sev1 Forged', userId: ALICE, channelId: general }, { signature });
      expect(result.status).toBe(401);
    }
    expect(await recordedCounts(h.db)).toEqual(before);
    expect(h.fake.channels().some((c) => c.name.includes('forged'))).toBe(false);
  });

  it('opens one incident when Slack delivers the same /incident open twice', async () => {
    const hook = h.fake.issueResponseUrl({ channelId: general, userId: ALICE });
    const body = new URLSearchParams({
      team_id: h.fake.teamId,
      channel_id: general,
      user_id: ALICE,
      command: '/incident',
      text: 'open sev2 Delivered twice',
      response_url: hook.url,
      trigger_id: h.fake.issueTrigger(ALICE),
    }).toString();
    const first = await h.driver.send(body, 'application/x-www-form-urlencoded');
    const retry = await h.driver.send(body, 'application/x-www-form-urlencoded', {
      headers: { 'X-Slack-Retry-Num': '1', 'X-Slack-Retry-Reason': 'http_timeout' },
    });
    expect([first.status, retry.status]).toEqual([200, 200]);
    const [reply] = await h.fake.waitForResponses(hook.id, 1, 5_000);
    expect(String(reply!.body['text'])).toMatch(/Opened incident #\d+/);
    await settled(h.db);
    // The retry was recognised before its ack: one answer, not two.
    expect(h.fake.responses(hook.id)).toHaveLength(1);
    const { rows } = await h.db.query(`SELECT count(*)::int AS n FROM incidents WHERE title = 'Delivered twice'`);
    expect(rows[0]).toEqual({ n: 1 });
    expect(h.fake.channels().filter((c) => c.name.includes('delivered-twice'))).toHaveLength(1);
  });

  it('keeps a consistent incident when Slack refuses the invite for good, and records why', async () => {
    h.fake.failNext('conversations.invite', 'user_is_restricted');
    const result = await open(h, general, 'Payments lagging');
    const reply = lastResponseText(result);
    expect(reply).toMatch(/Opened incident #(\d+)/);
    const id = Number(/#(\d+)/.exec(reply)![1]);
    const channelId = await incidentChannelOf(h, id);
    await settled(h.db);
    expect(h.fake.channel(channelId)).toBeDefined();
    const { rows } = await h.db.query('SELECT state, problems FROM incidents WHERE id = $1', [id]);
    expect(rows[0]).toEqual({ state: 'open', problems: ['Slack refused slack.invite (user_is_restricted)'] });
    // The refused invite holds nothing up: the topic and the card still land.
    expect(h.fake.channel(channelId)!.topic.value).toMatch(/^SEV2 · investigating/);
    expect(h.fake.messages(channelId).length).toBeGreaterThan(0);
  });

  it('leaves no channel and no open incident when Slack refuses the channel', async () => {
    const channelsBefore = h.fake.channels().length;
    h.fake.failNext('conversations.create', 'restricted_action');
    const result = await open(h, general, 'Queue backlog');
    expect(lastResponseText(result)).toContain('Slack refused to create the incident channel (restricted_action)');
    expect(h.fake.channels().length).toBe(channelsBefore);
    const list = await h.driver.slashCommand({ text: 'list', userId: ALICE, channelId: general });
    await list.waitForResponses(1, 5_000);
    expect(lastResponseText(list)).not.toContain('Queue backlog');
  });

  it('finds a free name when the channel name is taken', async () => {
    const day = new Intl.DateTimeFormat('en-CA', { timeZone: 'Africa/Nairobi' }).format(new Date()).replaceAll('-', '');
    h.fake.addChannel({ name: `inc-${day}-login-errors` });
    const result = await open(h, general, 'Login errors');
    const channelId = /<#(C\w+)>/.exec(lastResponseText(result))![1]!;
    expect(h.fake.channel(channelId)!.name).toBe(`inc-${day}-login-errors-2`);
  });

  it('waits out a 429 from Slack and still opens the incident', async () => {
    h.fake.rateLimitNext('conversations.create', 1);
    const result = await open(h, general, 'Rate limited open');
    expect(lastResponseText(result)).toMatch(/Opened incident/);
    const limited = h.fake.calls('conversations.create').filter((c) => c.status === 429);
    expect(limited.length).toBe(1);
  });

  it('opens 50 incidents with the same title at once: 50 channels, 50 distinct valid names, no error', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, () => h.driver.slashCommand({ text: 'open sev2 Same title', userId: BOB, channelId: general })),
    );
    expect(results.every((r) => r.status === 200)).toBe(true);
    const replies = await Promise.all(results.map((r) => r.waitForResponses(1, 15_000)));
    const texts = replies.map((r) => String(r[0]!.body['text']));
    expect(texts.filter((t) => t.includes('Opened incident'))).toHaveLength(50);
    expect(texts.some((t) => t.includes(':warning:'))).toBe(false);
    const { rows } = await h.db.query<{ channel_name: string }>(
      `SELECT channel_name FROM incidents WHERE title = 'Same title' AND state = 'open'`,
    );
    const names = rows.map((r) => r.channel_name);
    expect(names).toHaveLength(50);
    expect(new Set(names).size).toBe(50);
    for (const name of names) expect(name).toMatch(SLACK_NAME);
  });

  it.each([
    ['open sev1', 'sev1'],
    ['open SEV4', 'sev4'],
    ['open', 'sev2'],
  ])('presets the modal of %j to the severity typed (%s)', async (text, severity) => {
    const result = await h.driver.slashCommand({ text, userId: ALICE, channelId: general });
    expect(result.status).toBe(200);
    const opened = await h.fake.waitFor(() => h.fake.openedViews().find((v) => v.triggerId === result.triggerId), 5_000);
    const blocks = opened.view.blocks as { block_id?: string; element?: { initial_option?: { value: string } } }[];
    expect(blocks.find((b) => b.block_id === 'severity')?.element?.initial_option?.value).toBe(severity);
  });

  it('opens the modal for a title-less open, and checks the title it gets back', async () => {
    const result = await h.driver.slashCommand({ text: 'open', userId: ALICE, channelId: general });
    expect(result.status).toBe(200);
    const view = await h.fake.waitFor(() => h.fake.openedViews().find((v) => v.triggerId === result.triggerId), 5_000);
    const refused = await h.driver.viewSubmission({
      userId: ALICE,
      viewId: view.id,
      values: { title: { title_input: ':fire:' }, severity: { severity_select: { type: 'static_select', selected_option: { value: 'sev1' } } } },
    });
    expect(refused.body).toMatchObject({ response_action: 'errors', errors: { title: expect.stringContaining('emoji') } });

    const accepted = await h.driver.viewSubmission({
      userId: ALICE,
      viewId: view.id,
      values: { title: { title_input: 'Disk full on db-2' }, severity: { severity_select: { type: 'static_select', selected_option: { value: 'sev1' } } } },
    });
    expect(accepted.status).toBe(200);
    const { rows } = await eventually(async () => {
      const found = await h.db.query(`SELECT severity, state FROM incidents WHERE title = 'Disk full on db-2' AND state = 'open'`);
      return found.rowCount ? found : undefined;
    });
    expect(rows[0]).toEqual({ severity: 1, state: 'open' });
  });
});

// The real bot with SLACK_APP_TOKEN set: Slack's requests come over the fake's Socket Mode
// WebSocket, not POST /slack/events; the HTTP server is left with /healthz and /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordedCounts, settled, startHarness, type Harness } from '../support/harness.js';

const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';

describe('Firebreak in Socket Mode', () => {
  let h: Harness;
  let general: string;
  let incidentChannel: string;

  beforeAll(async () => {
    h = await startHarness('socket', { socketMode: true });
    h.fake.addUser({ id: ALICE, name: 'alice', tz: 'Africa/Nairobi' });
    h.fake.addUser({ id: BOB, name: 'bob', tz: 'America/New_York' });
    general = h.fake.addChannel({ name: 'general', members: [ALICE, BOB] }).id;
  });
  afterAll(async () => h?.stop());

  it('is connected once it has started, and serves /healthz and /metrics but not Slack over HTTP', async () => {
    expect(h.fake.calls('apps.connections.open')).toEqual([expect.objectContaining({ ok: true })]);
    expect(h.fake.socketConnections()).toEqual([expect.objectContaining({ closedAt: null, retiring: false })]);

    const health = await fetch(`${h.bot.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    expect((await fetch(`${h.bot.url}/metrics`)).status).toBe(200);

    const overHttp = await h.driver.slashCommand({ text: 'open sev1 Over HTTP', userId: ALICE, channelId: general });
    expect(overHttp.status).toBe(404);
    expect(h.fake.calls('conversations.create')).toHaveLength(0);
  });

  it('opens an incident from /incident over the socket: a bare ack, then the answer on response_url', async () => {
    const result = await h.fake.sendSlashCommandOverSocket({ text: 'open sev1 Socket drill', userId: ALICE, channelId: general });
    expect(result.ackPayload).toEqual({});
    expect(result.ms).toBeLessThan(3_000);

    const [reply] = await h.fake.waitForResponses(result.responseUrlId, 1, 5_000);
    const text = String(reply?.body.text);
    expect(text).toMatch(/Opened incident #\d+ \(SEV1\) in <#C\w+>/);
    expect(reply?.body.response_type).toBe('ephemeral');

    incidentChannel = /<#(C\w+)>/.exec(text)![1]!;
    await settled(h.db);
    const channel = h.fake.channels().find((c) => c.id === incidentChannel);
    expect(channel?.name).toMatch(/^inc-\d{8}-socket-drill$/);
    expect(channel?.members).toEqual(expect.arrayContaining([ALICE, h.fake.botUserId]));
  });

  it('answers a bad command in the ack itself, and records nothing', async () => {
    const before = await recordedCounts(h.db);
    const result = await h.fake.sendSlashCommandOverSocket({ text: 'frobnicate', userId: ALICE, channelId: general });
    expect(result.ackPayload).toEqual({ response_type: 'ephemeral', text: expect.stringContaining('`frobnicate` is not an /incident command') });
    const shown = h.fake.ephemerals(general, ALICE).filter((e) => e.source === 'ack');
    expect(shown).toEqual([expect.objectContaining({ text: result.ackPayload?.text })]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(result.responses()).toEqual([]);
    expect(await recordedCounts(h.db)).toEqual(before);
  });

  it('handles a redelivered event (same event_id, retry_attempt 1) once', async () => {
    // A message the bot never saw, pinned with a reaction: handling the event fetches it from Slack.
    const message = h.fake.postAsUser(incidentChannel, BOB, 'orders table locked by pid 4242');
    const reaction = h.fake.reactAsUser(incidentChannel, message.ts, ALICE, 'pushpin');
    const first = await h.fake.sendEventOverSocket(reaction);
    const again = await h.fake.sendEventOverSocket(reaction, { eventId: first.eventId, retryAttempt: 1, retryReason: 'timeout' });
    expect([first.ackPayload, again.ackPayload]).toEqual([{}, {}]);

    const pinned = async () =>
      (await h.db.query<{ text: string }>(`SELECT text FROM timeline_events WHERE kind = 'pinned' AND source_ts = $1`, [message.ts])).rows;
    await h.fake.waitFor(() => h.fake.calls('conversations.history').some((c) => c.args.latest === message.ts), 5_000);
    for (let tries = 0; (await pinned()).length === 0 && tries < 100; tries += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(await pinned()).toEqual([{ text: 'orders table locked by pid 4242' }]);
    expect(h.fake.calls('conversations.history').filter((c) => c.args.latest === message.ts)).toHaveLength(1);
    const seen = await h.db.query(`SELECT state FROM inbox WHERE key = $1`, [`event:${first.eventId}`]);
    expect(seen.rows).toEqual([{ state: 'done' }]);
  });

  it('closes the socket with a closing handshake when stopped, and does not reconnect', async () => {
    const started = Date.now();
    await h.bot.stop();
    const closed = await h.fake.socketClosed(2_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(closed.close).toEqual({ code: 1000, reason: '', initiatedBy: 'client' });

    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.fake.calls('apps.connections.open')).toHaveLength(1);
    expect(h.fake.socketConnections().every((c) => c.closedAt !== null)).toBe(true);
  });
});

describe('Firebreak in Socket Mode, stopping with work in flight', () => {
  let h: Harness;
  afterAll(async () => h?.stop());

  // In Socket Mode Slack's requests do not come through the HTTP server: stop() must close the
  // socket before it drains, or work started during the drain would meet a closed pool.
  it('takes no new command once stop() has begun', async () => {
    h = await startHarness('socket_stop', { socketMode: true });
    h.fake.addUser({ id: ALICE, name: 'alice', tz: 'Africa/Nairobi' });
    const general = h.fake.addChannel({ name: 'general', members: [ALICE] }).id;
    h.fake.delay('conversations.create', 1_000);
    const slow = await h.fake.sendSlashCommandOverSocket({ text: 'open sev2 Slow one', userId: ALICE, channelId: general });

    const stopping = h.bot.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const late = await h.fake.sendSlashCommandOverSocket({ text: 'open sev2 During drain', userId: ALICE, channelId: general }).catch(() => null);
    await stopping;

    expect(String((await h.fake.waitForResponses(slow.responseUrlId, 1, 5_000))[0]?.body.text)).toContain('Opened incident');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(h.fake.channels().map((c) => c.name)).not.toContainEqual(expect.stringMatching(/during-drain/));
    expect(late === null ? [] : late.responses()).toEqual([]);
  });
});

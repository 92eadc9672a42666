// The backfill at close against the fake Slack and a real PostgreSQL: the gap is filled, 429s are
// waited out, and the bot's own posts, joins and topic changes stay out.
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfill, type CollectDeps } from '../../src/postmortem/collect.js';
import { CapturedMessages } from '../../src/postmortem/repository.js';
import { createLogger } from '../../src/log.js';
import { webClientGateway } from '../../src/slack/gateway.js';
import { openStore, type Store } from '../../src/store/database.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';

let fake: FakeSlack;
let db: TestDatabase;
let store: Store;
let client: webApi.WebClient;

beforeAll(async () => {
  fake = await startFakeSlack();
  db = await createTestDatabase('pm_collect');
  store = await openStore({ databaseUrl: db.url, dataDir: '', log: createLogger('silent') });
  // As the outbox worker's client: a 429 comes back as an error, never waited out inside.
  client = new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } });
  for (const id of ['U0ANA', 'U0BEN', 'U0CAT']) fake.addUser({ id, name: id.toLowerCase(), tz: 'Africa/Nairobi' });
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
  await fake?.close();
});

function deps(waits: number[]): CollectDeps {
  return {
    slack: webClientGateway(client),
    store: new CapturedMessages(store.pool),
    bot: { userId: fake.botUserId, botId: fake.botId },
    sleep: async (ms) => {
      waits.push(ms);
    },
    pageSize: 50,
  };
}

describe('the backfill at close', () => {
  it('adds exactly what was missed, through 429s, and nothing twice', async () => {
    const channel = fake.addChannel({ name: 'inc-collect', members: [fake.botUserId, 'U0ANA'] });
    const messages = new CapturedMessages(store.pool);
    // Captured live before the bot went down: a thread parent among them.
    const early = [fake.postAsUser(channel.id, 'U0ANA', 'users report errors'), fake.postAsUser(channel.id, 'U0ANA', 'looking at the db')];
    await messages.addMissing(channel.id, early.map((m) => ({ ts: m.ts, userId: m.user ?? null, text: m.text, threadTs: null })));

    // While it was away: people talk (Ben joins first), the bot posts, the topic changes, threads grow.
    const missed: string[] = [];
    for (let i = 0; i < 120; i++) missed.push(fake.postAsUser(channel.id, i % 2 ? 'U0BEN' : 'U0ANA', `update ${i} <@U0CAT>`).ts);
    await client.chat.postMessage({ channel: channel.id, text: 'Status card' });
    await client.conversations.setTopic({ channel: channel.id, topic: 'SEV1 | identified' });
    for (let i = 0; i < 70; i++) missed.push(fake.postAsUser(channel.id, 'U0BEN', `reply ${i}`, { thread_ts: missed[5]! }).ts);
    for (let i = 0; i < 3; i++) missed.push(fake.postAsUser(channel.id, 'U0CAT', `late reply ${i}`, { thread_ts: early[0]!.ts }).ts);

    fake.rateLimitEvery('conversations.history', 2, 1);
    fake.rateLimitEvery('conversations.replies', 3, 2);
    const waits: number[] = [];
    const report = await backfill(deps(waits), { channelId: channel.id, since: early[1]!.ts, knownThreads: [early[0]!.ts] });
    fake.rateLimitEvery('conversations.history', 0, 0);
    fake.rateLimitEvery('conversations.replies', 0, 0);

    const stored = await messages.list(channel.id);
    expect(stored.map((m) => m.ts).sort()).toEqual([...early.map((m) => m.ts), ...missed].sort());
    expect(stored.some((m) => m.text.includes('has joined') || m.text === 'Status card' || m.userId === fake.botUserId)).toBe(false);
    expect(stored.filter((m) => m.threadTs === missed[5] && m.ts !== missed[5]).length).toBe(70);
    expect(report.added).toBe(missed.length);
    expect(report.rateLimited).toBeGreaterThan(2);
    expect(waits.every((ms) => ms === 1000 || ms === 2000)).toBe(true);
    expect(report.calls).toBe(fake.calls('conversations.history').length + fake.calls('conversations.replies').length);
  });

  it('asks Slack only for the gap, and adds nothing on a second run', async () => {
    const channel = fake.addChannel({ name: 'inc-collect-again', members: [fake.botUserId, 'U0ANA'] });
    const before = fake.postAsUser(channel.id, 'U0ANA', 'already captured');
    const messages = new CapturedMessages(store.pool);
    await messages.addMissing(channel.id, [{ ts: before.ts, userId: 'U0ANA', text: before.text, threadTs: null }]);
    fake.postAsUser(channel.id, 'U0ANA', 'missed');
    const since = (await messages.latestTs(channel.id))!;
    const first = await backfill(deps([]), { channelId: channel.id, since, knownThreads: [] });
    const again = await backfill(deps([]), { channelId: channel.id, since, knownThreads: [] });
    expect([first.added, again.added, again.seen]).toEqual([1, 0, 1]);
    const asked = fake.calls('conversations.history').filter((c) => c.args.channel === channel.id);
    expect(asked.every((c) => c.args.oldest === before.ts)).toBe(true);
  });
});

// Postmortem benchmark. (1) Composing the draft of a big incident: 10,000 channel messages in
// which 500 threads, 50 /locks snapshots, 300 timeline entries; median time of the repeats and the
// process's peak resident memory (targets: under 1 s, under 200 MB). (2) The backfill at close
// of 5,000 missed messages through the fake Slack answering 429 (Retry-After: 1) to every 20th
// call of each method: wall time, calls, 429s, and whether anything was lost or stored twice.
//
//   npx tsx bench/postmortem.ts      (or npm run bench:postmortem)
//
// Environment (optional): BENCH_DATABASE_URL admin URL (default postgres://postgres@127.0.0.1:5432/postgres),
// BENCH_ROUNDS compose repeats (7).
import { webApi } from '@slack/bolt';
import { composePostmortem } from '../src/postmortem/compose.js';
import { backfill } from '../src/postmortem/collect.js';
import { snapshotsFrom } from '../src/postmortem/evidence.js';
import type { CapturedMessage, PostmortemInput } from '../src/postmortem/model.js';
import { CapturedMessages } from '../src/postmortem/repository.js';
import { createLogger } from '../src/log.js';
import { webClientGateway } from '../src/slack/gateway.js';
import { openStore } from '../src/store/database.js';
import type { EventKind, TimelineEvent } from '../src/timeline/model.js';
import { startFakeSlack } from '../test/support/fake-slack.js';
import { createScratchDatabase } from '../test/support/scratch-database.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const OPENED = Date.UTC(2023, 6, 23, 9, 0, 0);

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function bigIncident(): PostmortemInput {
  const messages: CapturedMessage[] = [];
  const ts = (i: number): string => `${Math.floor(OPENED / 1000) + i}.${String(i % 1_000_000).padStart(6, '0')}`;
  const parents: string[] = [];
  for (let i = 0; i < 10_000; i++) {
    const t = ts(i);
    // One message in 20 starts a thread while there are threads to start; replies go to a recent one.
    const reply = parents.length > 0 && i % 20 >= 10;
    const threadTs = reply ? parents[Math.floor(i / 20) % parents.length]! : null;
    messages.push({ ts: t, userId: `U${i % 40}`, text: `message ${i} about <#C1|db> and *locks* for <@U${i % 7}>`, threadTs });
    if (!reply && parents.length < 500 && i % 20 === 0) parents.push(t);
  }
  const kinds: EventKind[] = ['note', 'status', 'page', 'ack', 'pinned'];
  const events: TimelineEvent[] = [];
  const event = (id: number, kind: EventKind, at: number, text: string, data: Record<string, unknown> = {}): TimelineEvent => ({
    id, incidentId: 1, occurredAt: new Date(at), recordedAt: new Date(at), kind, authorId: `U${id % 9}`, text,
    typedTime: null, typedZone: null, zoneUsed: null, warnings: [], sourceTs: ts(id), data,
  });
  for (let i = 0; i < 300; i++) events.push(event(i + 1, kinds[i % kinds.length]!, OPENED + i * 20_000, `entry ${i}`, i === 150 ? { to: 'monitoring' } : {}));
  for (let i = 0; i < 50; i++) {
    events.push(event(1000 + i, 'lock_snapshot', OPENED + i * 60_000, 'locks', {
      database: 'main', blockedTotal: 12 + i,
      roots: [{ pid: 4000 + i, user: 'app', application: 'api', state: i % 2 ? 'idle in transaction' : 'active', inStateMs: 60_000 * i, xactAgeMs: 61_000 * i,
        holds: [{ relation: 'public.orders', mode: 'RowExclusiveLock' }], blocksTotal: 12 + i,
        waiters: [{ count: 10 + i, wait: 'row (0,2) of public.orders', mode: 'ShareLock' }, { count: 2, wait: 'relation public.orders', mode: 'AccessExclusiveLock' }] }],
      suggestions: [],
    }));
  }
  events.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  return {
    incident: { id: 1, title: 'Big lock incident', severity: 1, leadUserId: 'U1', openedAt: new Date(OPENED), closedAt: new Date(OPENED + 7_200_000), closeSummary: 'An idle transaction.', channelId: 'C1', channelName: 'inc-big', teamId: 'T1' },
    events, messages, pages: [], acks: [], snapshots: snapshotsFrom(events), actions: [],
    settings: { zone: 'Africa/Nairobi', clock: '24h', workspaceUrl: 'https://acme.slack.com', userNames: {} },
  };
}

function benchCompose(): void {
  const input = bigIncident();
  const before = process.resourceUsage().maxRSS * 1024;
  const times: number[] = [];
  let size = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const start = process.hrtime.bigint();
    size = composePostmortem(input).length;
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log('compose: 10,000 messages, 500 threads, 50 lock snapshots, 300 timeline entries');
  console.log(`  rounds ${ROUNDS}: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
  console.log(`  median ${median(times).toFixed(0)} ms (target < 1000 ms); draft ${mb(size)}`);
  console.log(`  peak RSS of the process ${mb(peak)} (before composing: ${mb(before)}; target < 200 MB)`);
}

async function benchBackfill(): Promise<void> {
  const fake = await startFakeSlack();
  const scratch = await createScratchDatabase(ADMIN_URL, 'fb_bench_pm');
  const store = await openStore({ databaseUrl: scratch.url, dataDir: '', log: createLogger('silent') });
  try {
    for (const id of ['U0ANA', 'U0BEN']) fake.addUser({ id, name: id.toLowerCase(), tz: 'Africa/Nairobi' });
    const channel = fake.addChannel({ name: 'inc-bench', members: [fake.botUserId, 'U0ANA', 'U0BEN'] });
    const first = fake.postAsUser(channel.id, 'U0ANA', 'captured live before the bot went down');
    const messages = new CapturedMessages(store.pool);
    await messages.addMissing(channel.id, [{ ts: first.ts, userId: 'U0ANA', text: first.text, threadTs: null }]);
    const missed = new Set<string>();
    const parents: string[] = [];
    for (let i = 0; missed.size < 5000; i++) {
      const threaded = parents.length === 100 || (i % 5 === 4 && parents.length > 0);
      const m = threaded
        ? fake.postAsUser(channel.id, 'U0BEN', `reply ${i}`, { thread_ts: parents[i % parents.length]! })
        : fake.postAsUser(channel.id, 'U0ANA', `update ${i}`);
      if (!threaded && parents.length < 100 && i % 10 === 0) parents.push(m.ts);
      missed.add(m.ts);
    }
    fake.rateLimitEvery('conversations.history', 20, 1);
    fake.rateLimitEvery('conversations.replies', 20, 1);
    const client = new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } });
    const start = Date.now();
    const report = await backfill(
      { slack: webClientGateway(client), store: messages, bot: { userId: fake.botUserId, botId: fake.botId }, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
      { channelId: channel.id, since: first.ts, knownThreads: [] },
    );
    const wall = Date.now() - start;
    const { rows } = await store.pool.query<{ n: string; distinct: string }>(
      'SELECT count(*) AS n, count(DISTINCT ts) AS distinct FROM channel_messages WHERE channel_id = $1 AND ts <> $2',
      [channel.id, first.ts],
    );
    const stored = new Set((await messages.list(channel.id)).map((m) => m.ts));
    const lost = [...missed].filter((ts) => !stored.has(ts)).length;
    console.log('backfill: 5,000 missed messages (100 threads), a 429 (Retry-After: 1) every 20th call of each method');
    console.log(`  wall ${(wall / 1000).toFixed(2)} s (of which waiting out 429s ${(report.waitedMs / 1000).toFixed(0)} s)`);
    console.log(`  calls ${report.calls} (429s ${report.rateLimited}), threads read ${report.threads}`);
    console.log(`  stored ${rows[0]!.n} rows, ${rows[0]!.distinct} distinct; lost ${lost}; doubled ${Number(rows[0]!.n) - Number(rows[0]!.distinct)}`);
  } finally {
    await store.close();
    await scratch.drop();
    await fake.close();
  }
}

benchCompose();
await benchBackfill();

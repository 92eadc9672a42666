// A forest too big for one Slack message: /locks posts the summary, biggest roots first, then
// shares the whole forest as one text file through the outbox, also when the delivering process
// dies between the upload steps and another one takes the effect over.
import { webApi } from '@slack/bolt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnosis } from '../../src/locks/diagnose.js';
import { LocksFlow } from '../../src/locks/flow.js';
import { postgresLocksStore } from '../../src/locks/records.js';
import { renderDiagnosis, snapshotSummary } from '../../src/locks/render.js';
import type { LocksInspection } from '../../src/locks/service.js';
import { buildForest } from '../../src/locks/tree.js';
import { createLogger } from '../../src/log.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { registerSlackEffects } from '../../src/outbox/slack-effects.js';
import type { SlackGateway } from '../../src/ports/slack.js';
import { webClientGateway } from '../../src/slack/gateway.js';
import { migrate } from '../../src/store/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { largeForestRow } from './fixture.js';

const DBA = 'U0DBA1';
const log = createLogger('silent');
const ROOTS = Array.from({ length: 30 }, (_, r) => 1000 + r * 100);
const WAITERS = ROOTS.flatMap((root, r) => Array.from({ length: 1 + r + (r >= 20 ? 8 : 0) }, (_, i) => root + 1 + i));

let db: TestDatabase;
let pool: pg.Pool;
let fake: FakeSlack;
let slack: SlackGateway;
let inspection: LocksInspection;
let channels = 0;

beforeAll(async () => {
  db = await createTestDatabase('locks_file');
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  await migrate(pool);
  fake = await startFakeSlack();
  fake.addUser({ id: DBA, name: 'dba', tz: 'UTC' });
  slack = webClientGateway(new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } }));
  const row = largeForestRow();
  const forest = buildForest(row);
  const diagnosis: Diagnosis = { kind: 'ok', forest, row, elapsedMs: 3 };
  inspection = { database: 'main', diagnosis, rendered: renderDiagnosis(diagnosis, 'main', 'redacted'), snapshot: snapshotSummary(forest, 'main', 'redacted') };
});

afterAll(async () => {
  await fake?.close();
  await pool?.end();
  await db?.drop();
});

/** A replica's outbox; it is only asked to deliver (no worker runs), so each test decides who delivers when. */
function outbox(gateway: SlackGateway, replica: string): Outbox {
  const box = new Outbox({ pool, slack: gateway, replicaId: replica, metrics: { delivered: () => undefined, failed: () => undefined, throttled: () => undefined }, log });
  registerSlackEffects(box);
  return box;
}

/** `/locks main` typed in a fresh channel; the effects are recorded, not yet delivered. */
async function typeLocks(): Promise<string> {
  channels += 1;
  const channel = fake.addChannel({ name: `ops-${channels}`, members: [DBA, fake.botUserId] }).id;
  const flow = new LocksFlow({
    store: postgresLocksStore(pool),
    locks: {
      databaseNames: () => ['main'],
      inspect: async () => inspection,
      act: async () => ({ kind: 'refused', why: 'not in this test' }),
    },
    watch: { start: async () => ({ text: '' }), stop: async () => ({ text: '' }) },
    incidents: { byChannel: async () => null },
    effects: outbox(slack, 'r-typed'),
  });
  const reply = await flow.command({ teamId: 'T1', userId: DBA, channelId: channel, receivedAt: new Date(), requestId: `req-${channel}` }, 'main');
  expect(reply.text).toBe('Posted the lock picture of main in this channel.');
  return channel;
}

/** The crashed replica is gone and its backoff over: another replica takes the lane. */
async function takeOver(channel: string): Promise<void> {
  await pool.query('UPDATE outbox_lanes SET not_before = now() WHERE lane = $1', [channel]);
  await outbox(slack, `r-next-${channel}`).deliverLane(channel);
}

async function effectStates(channel: string): Promise<string[]> {
  const { rows } = await pool.query<{ state: string }>('SELECT state FROM outbox WHERE lane = $1 ORDER BY id', [channel]);
  return rows.map((r) => r.state);
}

/** One summary, biggest roots first, then one file share whose file holds every root and waiter once. */
function expectSummaryThenOneFile(channel: string): void {
  const messages = fake.messages(channel);
  expect(messages.map((m) => m.subtype ?? 'message')).toEqual(['message', 'file_share']);
  const [summary, share] = messages;
  expect(summary!.text).toMatch(new RegExp(`^Lock contention on main: ${WAITERS.length} sessions waiting behind 30 root blockers`));
  expect(summary!.blocks!.length).toBeLessThanOrEqual(50);
  const sections = summary!.blocks!.flatMap((b) => {
    const block = b as { text?: { text: string }; elements?: { text?: unknown }[] };
    return [block.text?.text, ...(block.elements ?? []).map((e) => e.text)].filter((t): t is string => typeof t === 'string');
  });
  for (const text of sections) expect(text.length).toBeLessThanOrEqual(3000);
  const shown = sections.flatMap((t) => [...t.matchAll(/^\*Root blocker:\* pid (\d+)/g)].map((m) => Number(m[1])));
  expect(shown).toEqual(ROOTS.slice(-8).reverse());
  expect(sections.join('\n')).toContain('…and 22 more root blockers');

  const files = fake.files(channel);
  expect(files).toHaveLength(1);
  const [file] = files;
  expect(share!.files?.map((f) => f.id)).toEqual([file!.id]);
  expect(file!.name).toMatch(/^locks-main-\d{8}T\d{6}Z\.txt$/);
  expect(file!.initial_comment).toBe(`Full detail of the lock picture of *main* above: all 30 root blockers and the ${WAITERS.length} sessions waiting, biggest roots first.`);
  const lines = file!.content.split('\n');
  const roots = lines.flatMap((l) => /^Root: pid (\d+) /.exec(l)?.[1] ?? []).map(Number);
  expect(roots).toEqual([...ROOTS].reverse());
  const waiters = lines.flatMap((l) => {
    const one = /^\s+- pid (\d+) /.exec(l);
    if (one) return [Number(one[1])];
    const group = /^\s+- \d+ sessions \(pids ([\d, ]+)\)/.exec(l);
    return group ? group[1]!.split(', ').map(Number) : [];
  });
  expect(waiters.sort((a, b) => a - b)).toEqual(WAITERS);
}

/** Slack shares the file; the process dies before it hears so. */
function diesAfterSharing(): SlackGateway {
  return {
    ...slack,
    completeUpload: async (fileId, share) => {
      await slack.completeUpload(fileId, share);
      throw new Error('killed after the share');
    },
  };
}

describe('/locks on a forest too big for one message', () => {
  it('posts the summary, biggest roots first, then exactly one text file with every root and waiter', async () => {
    const channel = await typeLocks();
    await outbox(slack, 'r-one').deliverLane(channel);
    expect(await effectStates(channel)).toEqual(['done', 'done']);
    expectSummaryThenOneFile(channel);
  });

  it('shares once when the process dies after the bytes are uploaded, before the share', async () => {
    const channel = await typeLocks();
    const reserved = fake.calls('files.getUploadURLExternal').length;
    const dying: SlackGateway = { ...slack, completeUpload: async () => Promise.reject(new Error('killed before the share')) };
    await outbox(dying, 'r-dying').deliverLane(channel);
    expect(fake.files(channel)).toEqual([]);
    expect(await effectStates(channel)).toEqual(['done', 'pending']);
    await takeOver(channel);
    expect(await effectStates(channel)).toEqual(['done', 'done']);
    expectSummaryThenOneFile(channel);
    // The retry used the file it had reserved: no second reservation, no second upload.
    expect(fake.calls('files.getUploadURLExternal')).toHaveLength(reserved + 1);
  });

  it('does not share again when the process dies after Slack shared the file, before the outbox noted it', async () => {
    const channel = await typeLocks();
    const dying = diesAfterSharing();
    await outbox(dying, 'r-dying').deliverLane(channel);
    expect(fake.files(channel)).toHaveLength(1);
    expect(await effectStates(channel)).toEqual(['done', 'pending']);
    const completes = fake.calls('files.completeUploadExternal').length;
    await takeOver(channel);
    expect(await effectStates(channel)).toEqual(['done', 'done']);
    expectSummaryThenOneFile(channel);
    // Found in the channel's history: not shared again.
    expect(fake.calls('files.completeUploadExternal')).toHaveLength(completes);
  });

  it('does not share again when the share reached Slack but is not in the history yet', async () => {
    const channel = await typeLocks();
    const dying = diesAfterSharing();
    await outbox(dying, 'r-dying').deliverLane(channel);
    await pool.query('UPDATE outbox_lanes SET not_before = now() WHERE lane = $1', [channel]);
    // Slack shares asynchronously: the retry's look at the history comes too early.
    const early: SlackGateway = { ...slack, findFileShare: async () => null };
    await outbox(early, 'r-early').deliverLane(channel);
    expect(await effectStates(channel)).toEqual(['done', 'done']);
    expectSummaryThenOneFile(channel);
    expect(fake.calls('files.completeUploadExternal').at(-1)).toMatchObject({ ok: false, error: 'file_not_found' });
  });

  it('shares when the retry cannot read the history because the bot is not in the channel (it cannot have shared there)', async () => {
    const channel = await typeLocks();
    const dying: SlackGateway = { ...slack, completeUpload: async () => Promise.reject(new Error('killed before the share')) };
    await outbox(dying, 'r-dying').deliverLane(channel);
    fake.failNext('conversations.history', 'not_in_channel');
    await takeOver(channel);
    expect(await effectStates(channel)).toEqual(['done', 'done']);
    expectSummaryThenOneFile(channel);
  });

  it('reserves a new file when the process died before it could note the first one, or Slack forgot it', async () => {
    const channel = await typeLocks();
    const dying: SlackGateway = {
      ...slack,
      startUpload: async (filename, length) => {
        await slack.startUpload(filename, length);
        throw new Error('killed before the file id was saved');
      },
    };
    await outbox(dying, 'r-dying').deliverLane(channel);
    // A saved reservation Slack no longer knows: its upload URL refuses the bytes.
    await pool.query(`UPDATE outbox SET progress = $2 WHERE lane = $1 AND state = 'pending'`, [
      channel,
      JSON.stringify({ fileId: 'F0GONE', uploadUrl: `${fake.url}/upload/F0GONE` }),
    ]);
    await takeOver(channel);
    expect(await effectStates(channel)).toEqual(['done', 'done']);
    expectSummaryThenOneFile(channel);
  });

  it('joins the channel when Slack will not take the file from a non-member, then shares it', async () => {
    // chat:write.public posts the picture in a public channel the bot is not in; a file share needs it there.
    const channel = await typeLocks();
    fake.failNext('files.completeUploadExternal', 'not_in_channel');
    await outbox(slack, 'r-one').deliverLane(channel);
    expect(await effectStates(channel)).toEqual(['done', 'done']);
    expect(fake.calls('conversations.join').map((c) => c.args['channel'])).toEqual([channel]);
    expectSummaryThenOneFile(channel);
  });
});

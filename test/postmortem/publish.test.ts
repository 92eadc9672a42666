// Compile and publish against a real PostgreSQL and the fake Slack: versions, the diff summary,
// the file, the message and the canvas, each done once however often it is retried.
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { shareFileOnce, type FileProgress } from '../../src/outbox/file-effect.js';
import { sources } from '../../src/postmortem/effect.js';
import { publishPostmortem, type PublishDeps } from '../../src/postmortem/publish.js';
import { postgresPostmortemStore } from '../../src/postmortem/records.js';
import { PostmortemRepository } from '../../src/postmortem/repository.js';
import { compile } from '../../src/postmortem/service.js';
import { webClientGateway } from '../../src/slack/gateway.js';
import { openStore, type Store } from '../../src/store/database.js';
import { TimelineRepository } from '../../src/timeline/repository.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { seedSnapshotData, settings } from './inputs.js';

let fake: FakeSlack;
let db: TestDatabase;
let store: Store;
let deps: PublishDeps;
const warnings: string[] = [];

beforeAll(async () => {
  fake = await startFakeSlack();
  db = await createTestDatabase('pm_publish');
  store = await openStore({ databaseUrl: db.url, dataDir: '', log: createLogger('silent') });
  const slack = webClientGateway(new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } }));
  // The file's steps are kept here between runs, as the outbox keeps them in the effect's progress.
  const steps = new Map<string, FileProgress>();
  const shareFile: PublishDeps['shareFile'] = (channel, file) =>
    shareFileOnce(slack, { saved: steps.get(file.filename) ?? {}, save: async (progress) => void steps.set(file.filename, progress) }, channel, file);
  deps = { slack, shareFile, versions: new PostmortemRepository(store.pool), canvas: true, warn: (m) => warnings.push(m) };
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
  await fake?.close();
});

async function incident(channelId: string): Promise<number> {
  const { rows } = await store.pool.query<{ id: string }>(
    `INSERT INTO incidents (team_id, title, severity, status, state, opened_by, opened_at, closed_at, close_summary, channel_id, channel_name)
     VALUES ($1, 'Checkout <!channel> locks', 1, 'resolved', 'closed', 'U0ANA', '2023-07-23T09:34:00Z', '2023-07-23T11:21:00Z',
             'An idle transaction held a row lock.', $2, 'inc-pm') RETURNING id`,
    [fake.teamId, channelId],
  );
  const id = Number(rows[0]!.id);
  const timeline = new TimelineRepository(store.pool);
  await timeline.add({ incidentId: id, occurredAt: new Date('2023-07-23T09:34:00Z'), kind: 'open', authorId: 'U0ANA', text: 'Incident opened' });
  await timeline.add({ incidentId: id, occurredAt: new Date('2023-07-23T09:37:00Z'), kind: 'ack', authorId: 'U0DBA', text: 'Acknowledged' });
  await timeline.add({ incidentId: id, occurredAt: new Date('2023-07-23T10:10:00Z'), kind: 'lock_snapshot', authorId: 'U0DBA', text: 'locks', data: seedSnapshotData });
  await timeline.add({ incidentId: id, occurredAt: new Date('2023-07-23T10:23:00Z'), kind: 'status', authorId: 'U0DBA', text: 'Status identified → monitoring', data: { from: 'identified', to: 'monitoring' } });
  await timeline.add({ incidentId: id, occurredAt: new Date('2023-07-23T11:21:00Z'), kind: 'close', authorId: 'U0ANA', text: 'Incident closed' });
  return id;
}

describe('versions', () => {
  it('are stored when the text changes, and say what changed', async () => {
    const channel = fake.addChannel({ name: 'inc-pm-versions', members: [fake.botUserId] });
    const id = await incident(channel.id);
    const first = await compile(sources(postgresPostmortemStore(store.pool)), settings(), id, 'U0ANA');
    expect([first.version.version, first.created, first.changes]).toEqual([1, true, 'first draft']);
    expect(first.version.markdown).toContain('# Postmortem: Checkout @channel locks');

    const same = await compile(sources(postgresPostmortemStore(store.pool)), settings(), id, 'U0ANA');
    expect([same.version.version, same.created, same.changes]).toEqual([1, false, 'no changes']);

    await new TimelineRepository(store.pool).add({ incidentId: id, occurredAt: new Date('2023-07-23T10:50:00Z'), kind: 'note', authorId: 'U0BEN', text: 'late note: vacuum done' });
    const second = await compile(sources(postgresPostmortemStore(store.pool)), settings(), id, 'U0BEN');
    expect(second.version.version).toBe(2);
    expect(second.changes).toMatch(/^1 timeline entry added; sections changed: .*Incident Timeline/);
  });
});

describe('publishing', () => {
  it('uploads the file, posts the figures and makes a canvas, once however often it runs', async () => {
    const channel = fake.addChannel({ name: 'inc-pm-publish', members: [fake.botUserId] });
    const id = await incident(channel.id);
    const { version } = await compile(sources(postgresPostmortemStore(store.pool)), settings(), id, null);
    const first = await publishPostmortem(deps, id, version.version);
    const again = await publishPostmortem(deps, id, version.version);
    expect(again).toEqual(first);

    const files = fake.files(channel.id);
    expect(files).toHaveLength(1);
    expect(files[0]!.name).toBe(`postmortem-incident-${id}-v1.md`);
    expect(files[0]!.content).toBe(version.markdown);
    const posts = fake.messages(channel.id).filter((m) => m.text.startsWith(':memo:'));
    expect(posts).toHaveLength(1);
    expect(posts[0]!.text).toContain('Time to acknowledge *3m*, to mitigate *49m*, to resolve *1h 47m*.');
    expect(posts[0]!.text).toContain('Root blocker: pid 4242 (app), idle in transaction for 21m, blocking 12.');
    expect(fake.canvas(first.canvasId!)?.markdown).toBe(version.markdown);
    expect(fake.calls('files.getUploadURLExternal')).toHaveLength(1);
  });

  it('still publishes the file and message when the workspace has no canvases', async () => {
    const channel = fake.addChannel({ name: 'inc-pm-nocanvas', members: [fake.botUserId] });
    const id = await incident(channel.id);
    const { version } = await compile(sources(postgresPostmortemStore(store.pool)), settings(), id, null);
    fake.failNext('canvases.create', 'canvas_disabled_user_team');
    const published = await publishPostmortem(deps, id, version.version);
    expect(published.canvasId).toBeNull();
    expect(fake.files(channel.id)).toHaveLength(1);
    expect(warnings).toContain('postmortem canvas not created');
    await publishPostmortem(deps, id, version.version);
    expect(fake.calls('canvases.create').filter((c) => c.args.channel_id === channel.id)).toHaveLength(1);
  });

  it('after a failure between steps, a retry does only what is missing', async () => {
    const channel = fake.addChannel({ name: 'inc-pm-retry', members: [fake.botUserId] });
    const id = await incident(channel.id);
    const { version } = await compile(sources(postgresPostmortemStore(store.pool)), settings(), id, null);
    fake.failNext('chat.postMessage', 'internal_error');
    await expect(publishPostmortem(deps, id, version.version)).rejects.toThrow(/internal_error/);
    await publishPostmortem(deps, id, version.version);
    expect(fake.files(channel.id)).toHaveLength(1);
    expect(fake.messages(channel.id).filter((m) => m.text.startsWith(':memo:'))).toHaveLength(1);
  });

  it('shares the file once when the process dies after sharing it and before recording that', async () => {
    const channel = fake.addChannel({ name: 'inc-pm-crash', members: [fake.botUserId] });
    const id = await incident(channel.id);
    const { version } = await compile(sources(postgresPostmortemStore(store.pool)), settings(), id, null);
    const versions = new PostmortemRepository(store.pool);
    let crashes = 1;
    const dying: PublishDeps = {
      ...deps,
      versions: {
        get: (incidentId, v) => versions.get(incidentId, v),
        recordPublished: async (incidentId, v, published) => {
          if ('fileId' in published && crashes-- > 0) throw new Error('process killed');
          await versions.recordPublished(incidentId, v, published);
        },
      },
    };
    await expect(publishPostmortem(dying, id, version.version)).rejects.toThrow('process killed');
    expect(fake.files(channel.id)).toHaveLength(1);
    const published = await publishPostmortem(dying, id, version.version);
    expect(fake.files(channel.id)).toHaveLength(1);
    expect(published.fileId).toBe(fake.files(channel.id)[0]!.id);
  });
});

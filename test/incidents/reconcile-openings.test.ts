import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { postgresIncidentStore } from '../../src/incidents/records.js';
import { IncidentService } from '../../src/incidents/service.js';
import { createLogger } from '../../src/log.js';
import { webClientGateway } from '../../src/slack/gateway.js';
import { openStore, type Store } from '../../src/store/database.js';
import { UserDirectory } from '../../src/users/directory.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';

let fake: FakeSlack;
let db: TestDatabase;
let store: Store;
let service: IncidentService;

beforeAll(async () => {
  fake = await startFakeSlack();
  db = await createTestDatabase('reconcile');
  const log = createLogger('silent');
  store = await openStore({ databaseUrl: db.url, dataDir: '', log });
  const slack = webClientGateway(new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } }));
  service = new IncidentService({
    store: postgresIncidentStore(store.pool),
    slack,
    users: new UserDirectory(store.pool, slack),
    effects: { add: async () => undefined, wake: async () => undefined },
    settings: { timezone: 'UTC', channelPrefix: 'inc' },
    log,
  });
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
  await fake?.close();
});

async function opening(title: string, requestId: string, channelName: string | null, minutesAgo: number): Promise<number> {
  const { rows } = await store.pool.query<{ id: string }>(
    `INSERT INTO incidents (team_id, title, severity, status, opened_by, opened_at, open_request_id, channel_name)
     VALUES ('T1', $1, 2, 'investigating', 'U1', now() - make_interval(mins => $2), $3, $4) RETURNING id`,
    [title, minutesAgo, requestId, channelName],
  );
  return Number(rows[0]!.id);
}

it('archives the channel of an abandoned opening and marks it failed, leaving ones still being worked on', async () => {
  const channel = fake.addChannel({ name: 'inc-20261201-orphan', members: [fake.botUserId], creator: fake.botUserId });
  const abandoned = await opening('Orphan', 'trig-1', 'inc-20261201-orphan', 20);
  const recent = await opening('Recent', 'trig-2', null, 1);
  const retried = await opening('Retried', 'trig-3', null, 20);
  await store.pool.query(`INSERT INTO inbox (key, kind, payload) VALUES ('command:trig-3', 'command', '{}')`);

  expect(await service.reconcileOpenings(10 * 60 * 1000)).toBe(1);
  expect(fake.channel(channel.id)!.is_archived).toBe(true);
  const { rows } = await store.pool.query<{ id: string; state: string }>('SELECT id, state FROM incidents ORDER BY id');
  expect(rows.map((r) => [Number(r.id), r.state])).toEqual([
    [abandoned, 'failed'],
    [recent, 'opening'],
    [retried, 'opening'],
  ]);
});

// The queued effect re-run after failures, as the outbox does after a crash: it publishes once.
import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import type { DeliveryContext, Effect, EffectHandler } from '../../src/outbox/model.js';
import type { Outbox } from '../../src/outbox/outbox.js';
import { PUBLISH_KIND, registerPostmortemEffect } from '../../src/postmortem/effect.js';
import { postgresPostmortemStore } from '../../src/postmortem/records.js';
import { webClientGateway } from '../../src/slack/gateway.js';
import { openStore, type Store } from '../../src/store/database.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';

let fake: FakeSlack;
let db: TestDatabase;
let store: Store;
let handler: EffectHandler;

beforeAll(async () => {
  fake = await startFakeSlack();
  db = await createTestDatabase('pm_effect');
  store = await openStore({ databaseUrl: db.url, dataDir: '', log: createLogger('silent') });
  const handlers = new Map<string, EffectHandler>();
  const outbox = { register: (kind: string, h: EffectHandler) => handlers.set(kind, h) } as unknown as Outbox;
  registerPostmortemEffect(outbox, { store: postgresPostmortemStore(store.pool), settings: { zone: 'Africa/Nairobi', clock: '24h', canvas: false }, log: { warn: () => undefined }, sleep: async () => undefined });
  handler = handlers.get(PUBLISH_KIND)!;
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
  await fake?.close();
});

it('publishes once however often a failed delivery is re-run, with or without its saved progress', async () => {
  fake.addUser({ id: 'U0ANA', name: 'ana', tz: 'Africa/Nairobi' });
  const channel = fake.addChannel({ name: 'inc-effect', members: [fake.botUserId, 'U0ANA'] });
  fake.postAsUser(channel.id, 'U0ANA', 'the orders table is locked');
  const { rows } = await store.pool.query<{ id: string }>(
    `INSERT INTO incidents (team_id, title, severity, status, state, opened_by, opened_at, closed_at, channel_id, channel_name)
     VALUES ('T1', 'Locks', 2, 'resolved', 'closed', 'U0ANA', now() - interval '1 hour', now(), $1, 'inc-effect') RETURNING id`,
    [channel.id],
  );
  const slack = webClientGateway(new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } }));
  const effect = (progress: Record<string, unknown>): Effect => ({ id: 1, lane: channel.id, kind: PUBLISH_KIND, key: 'k', incidentId: Number(rows[0]!.id), payload: {}, progress, attempts: 1 });
  let saved: Record<string, unknown> = {};
  const ctx: DeliveryContext = {
    slack,
    db: store.pool,
    postOnce: (ch, message) => slack.postMessage(ch, message),
    saveProgress: async (p) => {
      saved = p;
    },
  };

  fake.failNext('files.completeUploadExternal', 'internal_error');
  await expect(handler(effect({}), ctx)).rejects.toThrow(/internal_error/);
  expect(saved).toMatchObject({ version: 1, file: { sharing: true } });
  // As if the progress had been lost with the crash: compiling again finds the same draft.
  await handler(effect({}), ctx);
  await handler(effect(saved), ctx);

  const files = fake.files(channel.id);
  expect(files).toHaveLength(1);
  expect(files[0]!.content).toContain('the orders table is locked');
  expect(fake.messages(channel.id).filter((m) => m.text.startsWith(':memo:'))).toHaveLength(1);
});

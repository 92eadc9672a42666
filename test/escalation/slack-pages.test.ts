import { randomBytes } from 'node:crypto';
import { webApi } from '@slack/bolt';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EscalationEngine } from '../../src/escalation/engine.js';
import { postgresEscalationStore } from '../../src/escalation/records.js';
import { ACK_ACTION } from '../../src/escalation/page-view.js';
import type { EscalationSettings } from '../../src/escalation/settings.js';
import { outboxPages, registerPageEffects } from '../../src/escalation/slack-pages.js';
import { createLogger } from '../../src/log.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { openQueues, type Queues } from '../../src/queue/queues.js';
import { webClientGateway } from '../../src/slack/gateway.js';
import { migrate } from '../../src/store/migrate.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { insertIncident } from '../support/page-outbox.js';
import { dropRedisPrefix } from '../support/redis.js';

const redisUrl = inject('redisUrl');
const log = createLogger('silent');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const settings: EscalationSettings = {
  defaultPolicy: 'two',
  bySeverity: {},
  policies: { two: { repeat: 0, tiers: [{ afterMs: 0, notify: ['UA1'] }, { afterMs: 150, notify: ['SDBAS'] }], webhook: null } },
  rotations: {},
};

const backends = [
  { name: 'postgres', redis: null as string | null, skip: false },
  { name: 'redis', redis: redisUrl, skip: redisUrl === null },
];

describe.each(backends)('pages as Slack DMs through the outbox on $name', ({ redis, skip }) => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let queues: Queues;
  let fake: FakeSlack;
  let outbox: Outbox;
  let engine: EscalationEngine;
  const prefix = `fbt_escdm_${randomBytes(4).toString('hex')}`;
  beforeAll(async () => {
    if (skip) return;
    db = await createTestDatabase('esc_dm');
    pool = new pg.Pool({ connectionString: db.url, max: 5 });
    await migrate(pool);
    fake = await startFakeSlack();
    for (const id of ['UA1', 'UB2', 'UC3']) fake.addUser({ id, name: id.toLowerCase(), tz: 'Europe/Berlin' });
    fake.addUsergroup('SDBAS', ['UB2', 'UC3']);
    const slack = webClientGateway(new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } }));
    queues = openQueues({ redisUrl: redis, postgresUrl: db.url, prefix, log });
    outbox = new Outbox({ pool, slack, replicaId: `r-${prefix}`, metrics: { delivered: () => undefined, failed: () => undefined, throttled: () => undefined }, log });
    registerPageEffects(outbox, { pool, timezone: 'Europe/Berlin' });
    await outbox.start();
    engine = new EscalationEngine({ store: postgresEscalationStore(pool), queues, outbox: outboxPages(outbox), usergroupMembers: (id) => slack.usergroupMembers(id), settings, log, reconcileEveryMs: 200 });
    await engine.run();
  });
  afterAll(async () => {
    engine?.stopReconciler();
    outbox?.stop();
    await queues?.close();
    await fake?.close();
    await pool?.end();
    await db?.drop();
    if (redis) await dropRedisPrefix(redis, prefix);
  });

  async function dm(user: string, timeoutMs = 8000): Promise<{ text: string; blocks?: unknown[] }[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const channel = fake.imWith(user);
      const messages = channel ? fake.messages(channel) : [];
      if (messages.length > 0 || Date.now() > deadline) return messages;
      await sleep(50);
    }
  }

  it.skipIf(skip)('DMs each paged person with an Acknowledge button, and after an ack updates every page in place', async () => {
    const id = await insertIncident(pool, 'Checkout <!here> down', 1);
    await engine.start(id, 1, new Date());
    const first = await dm('UA1');
    expect(first).toHaveLength(1);
    expect(JSON.stringify(first[0]?.blocks)).toContain(ACK_ACTION);
    expect(JSON.stringify(first[0]?.blocks)).toContain('Checkout &lt;!here&gt; down');
    const second = await dm('UC3');
    expect(JSON.stringify(second[0]?.blocks)).toContain('Also paged: <@UA1>');
    expect(await engine.ack(id, 'UB2', new Date(), 'button')).toMatchObject({ status: 'acked' });
    const deadline = Date.now() + 8000;
    let updated = '';
    while (Date.now() < deadline) {
      updated = JSON.stringify(fake.messages(fake.imWith('UA1')!)[0]?.blocks);
      if (updated.includes('Acknowledged by')) break;
      await sleep(50);
    }
    expect(updated).toContain('Acknowledged by <@UB2>');
    expect(updated).not.toContain(ACK_ACTION);
    expect(fake.messages(fake.imWith('UA1')!)).toHaveLength(1);
    const { rows } = await pool.query<{ state: string; dm_ts: string | null }>('SELECT state, dm_ts FROM pages WHERE incident_id = $1', [id]);
    expect(rows.every((r) => r.state === 'sent' && r.dm_ts !== null)).toBe(true);
  });
});

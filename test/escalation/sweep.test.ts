import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EscalationEngine } from '../../src/escalation/engine.js';
import { snapshotPolicy } from '../../src/escalation/policy.js';
import { postgresEscalationStore } from '../../src/escalation/records.js';
import { EscalationRepository } from '../../src/escalation/repository.js';
import type { EscalationSettings } from '../../src/escalation/settings.js';
import { createLogger } from '../../src/log.js';
import { openQueues, type Queues } from '../../src/queue/queues.js';
import { migrate } from '../../src/store/migrate.js';
import { withTransaction } from '../../src/store/transaction.js';
import { TimelineRepository } from '../../src/timeline/repository.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertIncident, RecordingPageOutbox } from '../support/page-outbox.js';

// The batch path itself: these tests call `sweep` directly (no worker takes the wake-up jobs),
// so what is claimed, and when, is up to the test.
const log = createLogger('silent');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const settings: EscalationSettings = {
  defaultPolicy: 'storm',
  bySeverity: { 3: 'group', 2: 'later' },
  policies: {
    // Every tier due at once: one sweep after another walks the whole plan.
    storm: { repeat: 0, tiers: [{ afterMs: 0, notify: ['UA1'] }, { afterMs: 0, notify: ['UB2'] }, { afterMs: 0, notify: ['UC3'] }], webhook: null },
    group: { repeat: 0, tiers: [{ afterMs: 0, notify: ['SGROUP1'] }, { afterMs: 60_000, notify: ['UB2'] }], webhook: null },
    later: { repeat: 0, tiers: [{ afterMs: 0, notify: ['UA1'] }, { afterMs: 60_000, notify: ['UB2'] }], webhook: null },
  },
  rotations: {},
};

let db: TestDatabase;
let pool: pg.Pool;
let queues: Queues;
let outbox: RecordingPageOutbox;
const prefix = `fbt_sweep_${randomBytes(4).toString('hex')}`;
// Whatever the test wants usergroups.users.list to do.
let members: (id: string) => Promise<string[]> = async () => ['UG1', 'UG2'];

beforeAll(async () => {
  db = await createTestDatabase('esc_sweep');
  pool = new pg.Pool({ connectionString: db.url, max: 20 });
  await migrate(pool);
  await RecordingPageOutbox.install(pool);
  outbox = new RecordingPageOutbox(pool);
  queues = openQueues({ redisUrl: null, postgresUrl: db.url, prefix, log });
});
afterAll(async () => {
  await queues?.close();
  await pool?.end();
  await db?.drop();
});

const engine = (): EscalationEngine => new EscalationEngine({ store: postgresEscalationStore(pool), queues, outbox, usergroupMembers: (id) => members(id), settings, log });

async function startMany(e: EscalationEngine, n: number, severity: number): Promise<number[]> {
  const ids = await Promise.all(Array.from({ length: n }, () => insertIncident(pool)));
  const at = new Date(Date.now() - 1000);
  await Promise.all(ids.map((id) => e.start(id, severity, at)));
  return ids;
}

async function pageKeys(ids: number[]): Promise<string[]> {
  const { rows } = await pool.query<{ key: string }>(`SELECT key FROM test_page_effects WHERE kind = 'page' AND incident_id = ANY($1) ORDER BY key`, [ids]);
  return rows.map((r) => r.key);
}

it('a batch claimed while an ack holds one escalation pages everyone else at once and nobody for the acked one', async () => {
  const e = engine();
  const ids = await startMany(e, 30, 2);
  const [acked, ...others] = ids as [number, ...number[]];
  // The ack's transaction (as `ack` runs it) holds the row while the sweep claims the rest.
  const ackTx = await pool.connect();
  try {
    await ackTx.query('BEGIN');
    const repo = new EscalationRepository(ackTx);
    await repo.get(acked, true);
    await repo.ack(acked, 'UA1', new Date());
    // Does not wait for the ack: a lock held on one incident holds up nobody else's page.
    await e.sweep();
    expect(await pageKeys(ids)).toEqual(others.map((id) => `page:${id}:0:0:0:UA1`).sort());
    await ackTx.query('COMMIT');
  } finally {
    ackTx.release();
  }
  await e.sweep();
  expect(await pageKeys([acked])).toEqual([]);
  expect(await pageKeys(others)).toHaveLength(others.length);
  const plans = await Promise.all(others.map((id) => new EscalationRepository(pool).get(id)));
  expect(plans.map((p) => `${p?.state} ${p?.next?.tier}`)).toEqual(others.map(() => 'active 1'));
  expect((await new TimelineRepository(pool).list(acked)).filter((t) => t.kind === 'page')).toEqual([]);
});

it('an escalation acked while its usergroup is being looked up pages nobody, and the ack does not wait for the lookup', async () => {
  const e = engine();
  const [grouped] = (await startMany(e, 1, 3)) as [number];
  const plain = await startMany(e, 5, 2);
  let release: (value: string[]) => void = () => undefined;
  let asked = 0;
  members = (): Promise<string[]> => {
    asked += 1;
    return new Promise((resolve) => {
      release = resolve;
    });
  };
  try {
    const sweeping = e.sweep();
    for (let waited = 0; asked === 0 && waited < 5000; waited += 10) await sleep(10);
    expect(asked).toBe(1);
    // The escalations without a usergroup are recorded before the lookup answers.
    expect(await pageKeys(plain)).toHaveLength(plain.length);
    // No row is locked over the Slack call: the ack goes through while it is still unanswered.
    const ack = await Promise.race([e.ack(grouped, 'UA1', new Date(), 'command'), sleep(3000).then(() => 'waited for the lookup')]);
    expect(ack).toMatchObject({ status: 'acked' });
    release(['UG1', 'UG2']);
    await sweeping;
  } finally {
    members = async () => ['UG1', 'UG2'];
  }
  expect(await pageKeys([grouped])).toEqual([]);
  expect((await new TimelineRepository(pool).list(grouped)).map((t) => t.kind)).toEqual(['ack']);
});

it('looks a usergroup up once per sweep however many escalations name it, and pages each member once per escalation', async () => {
  const e = engine();
  const ids = await startMany(e, 40, 3);
  let asked = 0;
  members = async () => {
    asked += 1;
    return ['UG1', 'UG2', 'UG1'];
  };
  try {
    await e.sweep();
  } finally {
    members = async () => ['UG1', 'UG2'];
  }
  expect(asked).toBe(1);
  expect(await pageKeys(ids)).toEqual(ids.flatMap((id) => [`page:${id}:0:0:0:UG1`, `page:${id}:0:0:0:UG2`]).sort());
});

it('a usergroup that cannot be listed leaves its step due for the next sweep and holds up nobody else', async () => {
  const e = engine();
  const [grouped] = (await startMany(e, 1, 3)) as [number];
  const plain = await startMany(e, 3, 2);
  members = async () => {
    throw new Error('usergroups.users.list: ratelimited');
  };
  try {
    await e.sweep();
  } finally {
    members = async () => ['UG1', 'UG2'];
  }
  expect(await pageKeys(plain)).toHaveLength(3);
  expect(await pageKeys([grouped])).toEqual([]);
  await e.sweep();
  expect(await pageKeys([grouped])).toEqual([`page:${grouped}:0:0:0:UG1`, `page:${grouped}:0:0:0:UG2`]);
});

it('three engines sweeping one storm at once page every step exactly once, in tier order', async () => {
  const engines = [engine(), engine(), engine()];
  // More than a batch, so sweeps meet on rows the others hold.
  const ids = await startMany(engines[0]!, 450, 1);
  const active = (): Promise<number> => new EscalationRepository(pool).countOverdue(new Date(Date.now() + 1000), 1000);
  for (let rounds = 0; rounds < 20 && (await active()) > 0; rounds += 1) {
    await Promise.all(engines.flatMap((e) => [e.sweep(), e.sweep()]));
  }
  const { rows } = await pool.query<{ key: string; copies: string }>(
    `SELECT key, count(*) AS copies FROM test_page_effects WHERE kind = 'page' AND incident_id = ANY($1) GROUP BY key`,
    [ids],
  );
  expect(rows.filter((r) => Number(r.copies) > 1)).toEqual([]);
  expect(rows.map((r) => r.key).sort()).toEqual(ids.flatMap((id) => [`page:${id}:0:0:0:UA1`, `page:${id}:0:0:1:UB2`, `page:${id}:0:0:2:UC3`]).sort());
  const order = await pool.query<{ users: string[] }>(
    `SELECT array_agg(user_id ORDER BY id) AS users FROM test_page_effects WHERE kind = 'page' AND incident_id = ANY($1) GROUP BY incident_id`,
    [ids],
  );
  expect(new Set(order.rows.map((r) => r.users.join(',')))).toEqual(new Set(['UA1,UB2,UC3']));
  const timeline = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM timeline_events WHERE kind = 'page' AND incident_id = ANY($1)`, [ids]);
  expect(Number(timeline.rows[0]?.n)).toBe(3 * ids.length);
  const done = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM escalations WHERE state = 'done' AND incident_id = ANY($1)`, [ids]);
  expect(Number(done.rows[0]?.n)).toBe(ids.length);
});

it('a step whose wake-up was lost (committed, never enqueued) is paged by the reconciler', async () => {
  const id = await insertIncident(pool);
  const snapshot = snapshotPolicy(settings, 'later');
  // What a crash between the commit and the enqueue leaves: the plan, and no job.
  await withTransaction(pool, (tx) =>
    new EscalationRepository(tx).create({ incidentId: id, policy: 'later', snapshot, startedAt: new Date(Date.now() - 2000), state: 'active', next: { loop: 0, tier: 0, dueAt: new Date(Date.now() - 2000) } }),
  );
  const e = new EscalationEngine({ store: postgresEscalationStore(pool), queues, outbox, usergroupMembers: (g) => members(g), settings, log, reconcileEveryMs: 100 });
  await e.run();
  try {
    for (let waited = 0; (await pageKeys([id])).length === 0 && waited < 3000; waited += 50) await sleep(50);
    expect(await pageKeys([id])).toEqual([`page:${id}:0:0:0:UA1`]);
  } finally {
    e.stopReconciler();
  }
});

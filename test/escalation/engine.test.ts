import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EscalationEngine } from '../../src/escalation/engine.js';
import { postgresEscalationStore } from '../../src/escalation/records.js';
import { EscalationRepository } from '../../src/escalation/repository.js';
import type { EscalationSettings } from '../../src/escalation/settings.js';
import { createLogger } from '../../src/log.js';
import { openQueues, type Queues } from '../../src/queue/queues.js';
import { migrate } from '../../src/store/migrate.js';
import { TimelineRepository } from '../../src/timeline/repository.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { insertIncident, RecordingPageOutbox } from '../support/page-outbox.js';
import { dropRedisPrefix } from '../support/redis.js';

const redisUrl = inject('redisUrl');
const log = createLogger(process.env['ESC_LOG'] ?? 'silent');
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(25);
  }
}

const settings: EscalationSettings = {
  defaultPolicy: 'three',
  bySeverity: { 4: 'quiet', 3: 'group', 2: 'looping' },
  policies: {
    quiet: { repeat: 0, tiers: [], webhook: null },
    three: {
      repeat: 0,
      tiers: [
        { afterMs: 0, notify: ['UA1'] },
        { afterMs: 150, notify: ['UB2'] },
        { afterMs: 300, notify: ['UC3'] },
      ],
      webhook: null,
    },
    looping: { repeat: 1, tiers: [{ afterMs: 0, notify: ['UA1'] }, { afterMs: 150, notify: ['UB2'] }], webhook: null },
    group: { repeat: 0, tiers: [{ afterMs: 0, notify: ['SGROUP1', 'UA1'] }], webhook: null },
    slow: { repeat: 0, tiers: [{ afterMs: 0, notify: ['UA1'] }, { afterMs: 250, notify: ['UB2'] }], webhook: null },
    dba: { repeat: 0, tiers: [{ afterMs: 0, notify: ['rotation:dba'] }, { afterMs: 200, notify: ['rotation:dba'] }], webhook: null },
  },
  rotations: {
    dba: { users: ['UD1', 'UD2'], start: { year: 2026, month: 3, day: 23, hour: 9, minute: 0, second: 0 }, zone: 'Europe/Berlin', lengthDays: 7, overrides: [] },
  },
};
const withDefault = (name: string): EscalationSettings => ({ ...settings, defaultPolicy: name, bySeverity: {} });

let db: TestDatabase;
let pool: pg.Pool;
let outbox: RecordingPageOutbox;
beforeAll(async () => {
  db = await createTestDatabase('escalation');
  pool = new pg.Pool({ connectionString: db.url, max: 10 });
  await migrate(pool);
  await RecordingPageOutbox.install(pool);
  outbox = new RecordingPageOutbox(pool);
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const backends = [
  { name: 'postgres', redis: null as string | null, skip: false },
  { name: 'redis', redis: redisUrl, skip: redisUrl === null },
];

describe.each(backends)('escalation on $name', ({ redis, skip }) => {
  const prefix = `fbt_esc_${randomBytes(4).toString('hex')}`;
  const opened: Queues[] = [];
  const engines: EscalationEngine[] = [];
  const members = async (id: string): Promise<string[]> => (id === 'SGROUP1' ? ['UA1', 'UG2', 'UG3'] : []);

  async function engine(config: EscalationSettings = settings): Promise<EscalationEngine> {
    const queues = openQueues({ redisUrl: redis, postgresUrl: db.url, prefix, log });
    opened.push(queues);
    const e = new EscalationEngine({ store: postgresEscalationStore(pool), queues, outbox, usergroupMembers: members, settings: config, log, reconcileEveryMs: 200 });
    engines.push(e);
    await e.run();
    return e;
  }
  let main: EscalationEngine;
  beforeAll(async () => {
    if (skip) return;
    main = await engine();
  });
  afterAll(async () => {
    for (const e of engines) e.stopReconciler();
    await Promise.all(opened.map((q) => q.close()));
    if (redis) await dropRedisPrefix(redis, prefix);
  });

  const pages = (incidentId: number) => outbox.effects(incidentId).then((all) => all.filter((e) => e.kind === 'page'));

  it.skipIf(skip)('pages the tiers in order, none before its time', async () => {
    const id = await insertIncident(pool);
    const start = new Date();
    await main.start(id, 1, start);
    const sent = await waitFor(() => pages(id), (p) => p.length >= 3);
    expect(sent.map((p) => p.userId)).toEqual(['UA1', 'UB2', 'UC3']);
    sent.forEach((p, i) => expect(p.recordedAt.getTime()).toBeGreaterThanOrEqual(start.getTime() + [0, 150, 300][i]! - 5));
    expect(sent.map((p) => p.key)).toEqual([`page:${id}:0:0:0:UA1`, `page:${id}:0:0:1:UB2`, `page:${id}:0:0:2:UC3`]);
    const timeline = await new TimelineRepository(pool).list(id);
    expect(timeline.filter((e) => e.kind === 'page').map((e) => e.text)).toEqual([
      'Paged <@UA1> (tier 1)',
      'Paged <@UB2> (tier 2)',
      'Paged <@UC3> (tier 3)',
    ]);
    expect((await new EscalationRepository(pool).get(id))?.state).toBe('done');
  });

  it.skipIf(skip)('stops at an ack, updates the pages already sent, and answers a second ack with who acked', async () => {
    const id = await insertIncident(pool);
    await main.start(id, 1, new Date());
    await waitFor(() => pages(id), (p) => p.length >= 1);
    expect(await main.ack(id, 'UA1', new Date(), 'button')).toMatchObject({ status: 'acked' });
    const again = await main.ack(id, 'UZ9', new Date(), 'command');
    expect(again).toMatchObject({ status: 'already', by: 'UA1' });
    await sleep(500);
    const effects = await outbox.effects(id);
    expect(effects.filter((e) => e.kind === 'page').map((e) => e.userId)).toEqual(['UA1']);
    expect(effects.filter((e) => e.kind === 'page_update').map((e) => e.key)).toEqual([`page:${id}:0:0:0:UA1:ack`]);
    const acks = (await new TimelineRepository(pool).list(id)).filter((e) => e.kind === 'ack');
    expect(acks.map((e) => e.authorId)).toEqual(['UA1']);
  });

  it.skipIf(skip)('an ack racing the first page: one page at most, one ack, the other told it was already acked', async () => {
    const id = await insertIncident(pool);
    await main.start(id, 1, new Date());
    const results = await Promise.all([main.ack(id, 'UA1', new Date(), 'button'), main.ack(id, 'UB2', new Date(), 'command')]);
    expect(results.map((r) => r.status).sort()).toEqual(['acked', 'already']);
    await sleep(500);
    const effects = await outbox.effects(id);
    const sent = effects.filter((e) => e.kind === 'page');
    expect(sent.length).toBeLessThanOrEqual(1);
    // A page that got out before the ack is updated to say so.
    expect(effects.filter((e) => e.kind === 'page_update').map((e) => e.pageId)).toEqual(sent.map((e) => e.pageId));
  });

  it.skipIf(skip)('pages nobody more once the incident closes mid-escalation', async () => {
    const id = await insertIncident(pool);
    await main.start(id, 1, new Date());
    await waitFor(() => pages(id), (p) => p.length >= 1);
    expect(await main.stop(id, 'closed')).toBe(true);
    await sleep(500);
    expect((await pages(id)).map((p) => p.userId)).toEqual(['UA1']);
    expect(await main.stop(id, 'closed')).toBe(false);
  });

  it.skipIf(skip)('runs the tier list again on repeat, each loop after the last tier', async () => {
    const id = await insertIncident(pool);
    await main.start(id, 2, new Date());
    const sent = await waitFor(() => pages(id), (p) => p.length >= 4);
    expect(sent.map((p) => p.key.split(':').slice(3).join(':'))).toEqual(['0:0:UA1', '0:1:UB2', '1:0:UA1', '1:1:UB2']);
  });

  it.skipIf(skip)('expands a usergroup when its tier fires, paging each person once', async () => {
    const id = await insertIncident(pool);
    await main.start(id, 3, new Date());
    const sent = await waitFor(() => pages(id), (p) => p.length >= 3);
    expect(sent.map((p) => p.userId).sort()).toEqual(['UA1', 'UG2', 'UG3']);
  });

  it.skipIf(skip)('pages nobody for a policy with no tiers', async () => {
    const id = await insertIncident(pool);
    expect(await main.start(id, 4, new Date())).toEqual({ policy: 'quiet', started: true });
    expect((await new EscalationRepository(pool).get(id))?.state).toBe('done');
  });

  it.skipIf(skip)('resolves a rotation at each tier’s due instant, across the hand-off after the March DST change', async () => {
    const dba = await engine(withDefault('dba'));
    const id = await insertIncident(pool);
    // 09:00 Berlin on 30 March 2026 is 07:00Z (summer time); tier 1 is due 0.1 s before, tier 2 0.1 s after.
    await dba.start(id, 1, new Date('2026-03-30T06:59:59.900Z'));
    const sent = await waitFor(() => pages(id), (p) => p.length >= 2);
    expect(sent.map((p) => p.userId)).toEqual(['UD1', 'UD2']);
  });

  it.skipIf(skip)('pages by hand: a person, a tier, and the next tier now', async () => {
    const slow = await engine(withDefault('slow'));
    const id = await insertIncident(pool);
    await slow.start(id, 1, new Date(Date.now() + 60_000));
    expect(await slow.pageNow(id, { kind: 'user', userId: 'UX1' }, 'UA1')).toEqual({ status: 'paged', users: ['UX1'] });
    expect(await slow.pageNow(id, { kind: 'tier', tier: 2 }, 'UA1')).toEqual({ status: 'paged', users: ['UB2'] });
    expect(await slow.pageNow(id, { kind: 'tier', tier: 5 })).toMatchObject({ status: 'nothing' });
    expect(await slow.pageNow(id, { kind: 'next' })).toEqual({ status: 'queued', step: { loop: 0, tier: 0 } });
    const sent = await waitFor(() => pages(id), (p) => p.length >= 3);
    expect(sent.map((p) => p.userId)).toEqual(['UX1', 'UB2', 'UA1']);
  });

  it.skipIf(skip)('moves to the policy of a new severity: the old plan’s jobs drop, the new one pages', async () => {
    const id = await insertIncident(pool);
    await main.start(id, 1, new Date(Date.now() + 60_000));
    expect(await main.changeSeverity(id, 3, new Date())).toBe(true);
    expect(await main.changeSeverity(id, 3, new Date())).toBe(false);
    const sent = await waitFor(() => pages(id), (p) => p.length >= 3);
    expect(sent.map((p) => p.key.split(':').slice(2, 3)[0])).toEqual(['1', '1', '1']);
    expect((await new EscalationRepository(pool).get(id))?.policy).toBe('group');
  });

  it.skipIf(skip)('says who each tier would page now and who is next on a rotation', async () => {
    const tiers = await main.oncall('dba', new Date('2026-03-25T12:00:00Z'));
    expect(tiers[0]).toEqual({ tier: 1, afterMs: 0, targets: [{ target: 'rotation:dba', users: ['UD1'], next: { at: new Date('2026-03-30T07:00:00Z'), user: 'UD2' } }] });
    const group = await main.oncall('group', new Date());
    expect(group[0]?.targets.map((t) => t.users)).toEqual([['UA1', 'UG2', 'UG3'], ['UA1']]);
  });

  it.skipIf(skip)('three engines on one queue page every step exactly once', async () => {
    const others = [await engine(), await engine()];
    const ids = await Promise.all(Array.from({ length: 15 }, () => insertIncident(pool)));
    const now = new Date();
    await Promise.all(ids.map((id, i) => [main, ...others][i % 3]!.start(id, 1, now)));
    const { rows } = await waitFor(
      () => pool.query<{ n: string }>(`SELECT count(*) AS n FROM test_page_effects WHERE kind = 'page' AND incident_id = ANY($1)`, [ids]),
      (r) => Number(r.rows[0]?.n) >= 45,
    );
    expect(Number(rows[0]?.n)).toBe(45);
    await sleep(300);
    const dupes = await pool.query(`SELECT key FROM test_page_effects WHERE incident_id = ANY($1) GROUP BY key HAVING count(*) > 1`, [ids]);
    expect(dupes.rows).toEqual([]);
  });
});

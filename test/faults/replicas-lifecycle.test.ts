// The whole incident on three replicas behind a round-robin balancer, one SIGKILLed midway: what
// a responder sees in Slack and what the store keeps must be what one healthy bot would produce.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it, onTestFailed } from 'vitest';
import { botEnv, killAll, startReplicas, type Running } from '../support/bot-process.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import type { FakeMessage } from '../support/fake-slack/types.js';
import { eventually, settled } from '../support/harness.js';
import { waitForLockWaits } from '../support/lock-waits.js';
import { dropRedisPrefix } from '../support/redis.js';
import { asRole, ROLE_PASSWORD } from '../support/roles.js';
import { startRoundRobinProxy, type RoundRobinProxy } from '../support/round-robin-proxy.js';
import { SlackDriver, type InteractionResult } from '../support/slack-driver.js';

const SECRET = 'replica-lifecycle-signing-secret';
const AMINA = 'U0AMINA01'; // opens the incident; tier 1
const NOAH = 'U0NOAH001'; // DBA; tier 2 through the usergroup, acknowledges, may act on locks
const OMAR = 'U0OMAR001'; // DBA; tier 2 through the usergroup
const LATE = 'U0LATE001'; // tier 3: never paged, the ack comes first
const DBAS = 'S0DBAS001';
const TIER3_MS = 15_000;
const TITLE = 'Checkout slow: orders table locked';
const redisUrl = inject('redisUrl');
const prefix = `fbt_replicas_life_${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'firebreak-replicas-life-'));

let fake: FakeSlack;
let db: TestDatabase;
let app: TestDatabase;
let appRole: string;
let pool: pg.Pool;
let proxy: RoundRobinProxy;
let driver: SlackDriver;
let general: string;
const replicas: Running[] = [];
const sessions: pg.Client[] = [];

/** The seed incident's lock: a billing worker idle in transaction after a SAVEPOINT, writers queued behind it. */
async function contention(): Promise<number> {
  const connect = async (application: string) => {
    const client = new pg.Client({ connectionString: asRole(app.url, appRole), application_name: application });
    client.on('error', () => undefined);
    await client.connect();
    sessions.push(client);
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return Object.assign(client, { pid: rows[0]!.pid });
  };
  const root = await connect('billing-worker');
  await root.query('BEGIN');
  await root.query('SAVEPOINT before_transfer');
  await root.query('UPDATE accounts SET balance = balance - 10 WHERE id = 2');
  const writers = [await connect('checkout-api'), await connect('invoicing')];
  for (const w of writers) void w.query('UPDATE accounts SET balance = balance + 1 WHERE id = 2').catch(() => undefined);
  const probe = await connect('probe');
  await waitForLockWaits(probe, writers.map((w) => w.pid), 10_000);
  return root.pid;
}

beforeAll(async () => {
  fake = await startFakeSlack();
  fake.addUser({ id: AMINA, name: 'amina', tz: 'Africa/Nairobi' });
  fake.addUser({ id: NOAH, name: 'noah', tz: 'Europe/Berlin' });
  fake.addUser({ id: OMAR, name: 'omar', tz: 'Europe/Berlin' });
  fake.addUser({ id: LATE, name: 'late', tz: 'UTC' });
  fake.addUsergroup(DBAS, [NOAH, OMAR]);
  general = fake.addChannel({ name: 'general', members: [AMINA, NOAH, OMAR] }).id;

  db = await createTestDatabase('replicas_life');
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  app = await createTestDatabase('replicas_life_app');
  appRole = `replicas_life_${new URL(app.url).pathname.slice(-8)}`;
  const admin = new pg.Client({ connectionString: app.url });
  await admin.connect();
  await admin.query(`CREATE ROLE ${appRole} LOGIN PASSWORD '${ROLE_PASSWORD}';
    CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance int);
    INSERT INTO accounts VALUES (1, 'acme', 1000), (2, 'globex', 1000);
    GRANT ALL ON accounts TO ${appRole};`);
  await admin.end();

  writeFileSync(
    join(dir, 'firebreak.yml'),
    `timezone: Africa/Nairobi
channel_prefix: inc
escalation:
  default_policy: primary
  policies:
    primary:
      tiers:
        - {after: 0s, notify: [${AMINA}]}
        - {after: 2s, notify: [${DBAS}]}
        - {after: ${TIER3_MS / 1000}s, notify: [${LATE}]}
locks:
  databases:
    app: {url_env: FIREBREAK_TEST_APP_URL}
  act: [${NOAH}]
`,
  );
  const started = await startReplicas(3, (port) =>
    botEnv(
      fake,
      { signingSecret: SECRET, port, databaseUrl: db.url, configPath: join(dir, 'firebreak.yml') },
      { FIREBREAK_TEST_APP_URL: app.url, FIREBREAK_QUEUE_PREFIX: prefix, ...(redisUrl ? { REDIS_URL: redisUrl } : {}) },
    ),
  );
  replicas.push(...started.replicas);
  proxy = await startRoundRobinProxy(started.urls);
  driver = new SlackDriver({ botUrl: proxy.url, signingSecret: SECRET, fake });
}, 120_000);

afterAll(async () => {
  driver?.close();
  await killAll(replicas);
  await proxy?.close();
  await Promise.all(sessions.map((s) => s.end().catch(() => undefined)));
  await pool?.end();
  await fake?.close();
  await db?.drop();
  await app?.drop();
  if (appRole) {
    const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${appRole}`);
    await admin.end();
  }
  if (redisUrl) await dropRedisPrefix(redisUrl, prefix);
  rmSync(dir, { recursive: true, force: true });
});

async function command(text: string, channelId: string, userId: string, slash = '/incident'): Promise<InteractionResult> {
  const result = await driver.slashCommand({ command: slash, text, userId, channelId });
  expect(result.status).toBe(200);
  return result;
}

/**
 * The answer a person saw. A replica that answered and died before marking the request done has
 * it answered again by the replica taking over: then the same words (date tokens aside).
 */
async function answerOf(result: InteractionResult): Promise<string> {
  const answers = await result.waitForResponses(1, 20_000);
  const texts = new Set(answers.map((a) => String(a.body['text']).replace(/<!date\^\d+\^[^>]*>/g, '<date>')));
  expect([...texts]).toHaveLength(1);
  return String(answers[0]!.body['text']);
}

function buttons(message: FakeMessage): { action_id?: string; value?: string }[] {
  return (message.blocks ?? [])
    .flatMap((b) => (b as { elements?: { action_id?: string; value?: string }[] }).elements ?? [])
    .filter((e) => e.action_id !== undefined);
}

const pictures = (channel: string) => fake.messages(channel).filter((m) => JSON.stringify(m.blocks ?? []).includes('Root blocker'));
const pagesOf = (userId: string) => {
  const im = fake.imWith(userId);
  return im ? fake.messages(im) : [];
};

it('three replicas, one SIGKILLed midway: the whole incident, every effect once, nothing lost', async () => {
  onTestFailed(() => {
    for (const [i, proc] of replicas.entries()) {
      console.error(`--- replica ${i} (last lines) ---\n${proc.output().split('\n').slice(-60).join('\n')}`);
    }
  });
  const root = await contention();

  const opened = await command(`open sev1 ${TITLE}`, general, AMINA);
  const openedAt = Date.now();
  const channel = /<#(C\w+)>/.exec(await answerOf(opened))![1]!;

  // The seed postmortem's notes as its authors typed them (East Africa Time, with its 13:17pm),
  // others in the typist's own zone, and /locks, all at once.
  const notes = [
    { user: AMINA, typed: '12:34pm EAT', text: 'Incident identified - Users reported slow website/application performance and errors.' },
    { user: AMINA, typed: '12:37pm EAT', text: 'Initial investigation initiated - IT Operations team identified the issue as a database lock.' },
    { user: AMINA, typed: '13:17pm EAT', text: 'Root cause identified - Concurrent write operations leading to lock contention.' },
    { user: NOAH, typed: '10 minutes ago', text: 'writers queue behind one billing session' },
    { user: NOAH, typed: '', text: 'checking the activity view on the primary' },
    { user: AMINA, typed: '', text: 'support told customers checkout is degraded' },
  ];
  // Slack takes its time to post: whoever delivers the channel's messages has one in flight.
  fake.delay('chat.postMessage', 400);
  const burst = await Promise.all([
    ...notes.map((n) => command(`note ${n.typed ? `${n.typed} ` : ''}${n.text}`, channel, n.user)),
    command('app', channel, NOAH, '/locks'),
  ]);
  // Killed the moment every request of the burst is acked, its share of them still in hand: the
  // replica delivering the channel's messages (a replica id starts with its pid), mid-post.
  const victim = await eventually(async () => {
    const { rows } = await pool.query<{ leased_by: string }>(
      'SELECT leased_by FROM outbox_lanes WHERE lane = $1 AND leased_by IS NOT NULL',
      [channel],
    );
    return replicas.find((r) => rows[0]?.leased_by.startsWith(`${r.child.pid}-`));
  }, 10_000);
  victim.child.kill('SIGKILL');
  await victim.exited;
  fake.delay('chat.postMessage', 0);

  // A live message, pinned by a :pushpin: and by Slack's pin, and the reaction delivered twice
  // as Slack retries one whose answer it did not get: the same event_id, X-Slack-Retry-Num.
  const pinned = fake.postAsUser(channel, NOAH, `pid ${root} idle in transaction since the SAVEPOINT`);
  expect((await driver.event(fake.messageEvent(pinned))).status).toBe(200);
  const reaction = fake.reactAsUser(channel, pinned.ts, AMINA, 'pushpin');
  const eventTime = Math.floor(Date.now() / 1000);
  const first = await driver.event(reaction, { eventTime });
  expect(first.status).toBe(200);
  expect((await driver.event(reaction, { eventId: first.eventId, eventTime, retryNum: 1, retryReason: 'http_timeout' })).status).toBe(200);
  expect((await driver.event(fake.pinAsUser(channel, pinned.ts, OMAR))).status).toBe(200);

  // Tier 2 pages both DBAs; noah acknowledges from his page, omar a moment later.
  const noahPage = await eventually(async () => pagesOf(NOAH)[0], 20_000);
  await eventually(async () => pagesOf(OMAR)[0], 20_000);
  const ackButton = buttons(noahPage).find((b) => b.action_id === 'escalation_ack');
  expect(ackButton?.value).toBeDefined();
  const ack = await driver.blockAction({ userId: NOAH, actionId: 'escalation_ack', channelId: fake.imWith(NOAH)!, messageTs: noahPage.ts });
  expect(ack.status).toBe(200);
  expect(await answerOf(ack)).toContain('You acknowledged');
  const omarPage = pagesOf(OMAR)[0]!;
  const late = await driver.blockAction({ userId: OMAR, actionId: 'escalation_ack', channelId: fake.imWith(OMAR)!, messageTs: omarPage.ts });
  expect(await answerOf(late)).toContain(`Already acknowledged by <@${NOAH}>`);

  const locksAgain = await command('app', channel, NOAH, '/locks');
  const status = await command('status identified a billing worker idle in transaction after a SAVEPOINT', channel, NOAH);

  // Every request is answered, those the killed replica held included.
  const answers = await Promise.all([...burst, locksAgain, status].map(answerOf));
  for (const text of answers.slice(0, notes.length)) expect(text).toContain('Added to the timeline at');
  expect(answers[notes.length]).toBe('Posted the lock picture of app in this channel and added it to the timeline.');
  expect(answers[notes.length + 1]).toBe('Posted the lock picture of app in this channel and added it to the timeline.');
  expect(answers[2]).toContain('13:17pm');

  // Past tier 3's due time (and the reconciler's grace): the ack stopped it.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, openedAt + TIER3_MS + 2_000 - Date.now())));
  const close = await command('close terminated the idle billing session; writes flow again', channel, AMINA);
  expect(await answerOf(close)).toContain('postmortem draft will be posted');
  await settled(pool, 30_000);
  await eventually(async () => {
    const { rows } = await pool.query(`SELECT 1 FROM postmortems WHERE message_ts IS NOT NULL AND canvas_id IS NOT NULL`);
    return rows.length > 0 ? true : undefined;
  }, 20_000);
  await settled(pool, 10_000);

  // Slack: one channel, its topic, one card that ends resolved.
  expect(fake.channels().filter((c) => c.name.includes('orders-table-locked'))).toHaveLength(1);
  expect(fake.channel(channel)!.topic.value).toBe(`SEV1 · resolved · ${TITLE}`);
  const posted = fake.messages(channel);
  const cards = posted.filter((m) => JSON.stringify(m.blocks ?? []).includes('"header"'));
  expect(cards).toHaveLength(1);
  expect(JSON.stringify(cards[0]!.blocks)).toContain('resolved');
  for (const n of notes) {
    expect(posted.filter((m) => m.text.includes(' noted (') && m.text.endsWith(`: ${n.text}`))).toHaveLength(1);
  }
  expect(posted.filter((m) => m.text.includes('changed the status'))).toHaveLength(1);
  expect(posted.filter((m) => m.text.includes('closed this incident'))).toHaveLength(1);
  // One picture per /locks, each with the root blocker (still there: nobody was asked to end it).
  const { rows: alive } = await pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [root]);
  expect(alive, 'the blocking session was ended from outside this test').toHaveLength(1);
  expect(pictures(channel)).toHaveLength(2);
  for (const picture of pictures(channel)) expect(JSON.stringify(picture.blocks)).toContain(`pid ${root} (billing-worker`);

  // Each person paged once per tier, each page now saying who acknowledged, with no button left.
  expect(pagesOf(AMINA)).toHaveLength(1);
  expect(pagesOf(NOAH)).toHaveLength(1);
  expect(pagesOf(OMAR)).toHaveLength(1);
  expect(fake.imWith(LATE)).toBeUndefined();
  for (const page of [...pagesOf(AMINA), ...pagesOf(NOAH), ...pagesOf(OMAR)]) {
    expect(JSON.stringify(page.blocks)).toContain(`Acknowledged by <@${NOAH}>`);
    expect(buttons(page)).toEqual([]);
  }
  const { rows: pages } = await pool.query<{ tier: number; user_id: string; state: string }>(
    'SELECT tier, user_id, state FROM pages ORDER BY tier, user_id',
  );
  expect(pages).toEqual([
    { tier: 0, user_id: AMINA, state: 'sent' },
    { tier: 1, user_id: NOAH, state: 'sent' },
    { tier: 1, user_id: OMAR, state: 'sent' },
  ]);

  // The timeline: every note, page, ack, pin and lock snapshot once.
  const { rows: kinds } = await pool.query<{ kind: string; n: number }>(
    'SELECT kind, count(*)::int AS n FROM timeline_events GROUP BY kind ORDER BY kind',
  );
  expect(kinds).toEqual([
    { kind: 'ack', n: 1 },
    { kind: 'close', n: 1 },
    { kind: 'lock_snapshot', n: 2 },
    { kind: 'note', n: notes.length },
    { kind: 'open', n: 1 },
    { kind: 'page', n: 2 },
    { kind: 'pinned', n: 1 },
    { kind: 'status', n: 1 },
  ]);
  const { rows: snapshots } = await pool.query<{ text: string }>(`SELECT text FROM timeline_events WHERE kind = 'lock_snapshot'`);
  // The picture is of the whole server: other databases' waits may be in it too.
  for (const { text } of snapshots) {
    expect(text).toMatch(new RegExp(`^Lock snapshot of app: \\d+ sessions waiting; (.+; )?pid ${root} \\(idle in transaction \\d+s\\) blocking 2(;|\\.| and )`));
  }
  const { rows: events } = await pool.query<{ kind: string; text: string }>(
    `SELECT kind, text FROM timeline_events WHERE kind IN ('note', 'page', 'ack', 'pinned') ORDER BY kind, text`,
  );
  expect(events).toEqual([
    { kind: 'ack', text: `<@${NOAH}> acknowledged` },
    ...notes.map((n) => ({ kind: 'note', text: n.text })).sort((a, b) => (a.text < b.text ? -1 : 1)),
    { kind: 'page', text: `Paged <@${AMINA}> (tier 1)` },
    { kind: 'page', text: `Paged <@${NOAH}>, <@${OMAR}> (tier 2)` },
    { kind: 'pinned', text: pinned.text },
  ]);

  // One postmortem draft: one file, one announcement, one canvas, with what happened in it.
  const files = fake.files(channel);
  expect(files).toHaveLength(1);
  const draft = files[0]!.content;
  for (const n of notes) expect(draft).toContain(n.text);
  expect(draft).toContain(pinned.text);
  expect(draft).toContain('terminated the idle billing session; writes flow again');
  expect(draft).not.toMatch(/1[3-9]:\d{2}\s*pm/i);
  expect(posted.filter((m) => m.text.includes('Postmortem draft for incident'))).toHaveLength(1);
  const { rows: versions } = await pool.query<{ version: number; canvas_id: string }>('SELECT version, canvas_id FROM postmortems');
  expect(versions).toHaveLength(1);
  expect(versions[0]!.version).toBe(1);
  expect(fake.canvas(versions[0]!.canvas_id)).toBeDefined();

  // Nothing left in hand, nothing refused.
  const { rows: inbox } = await pool.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM inbox GROUP BY state');
  expect(inbox.filter((r) => r.state !== 'done')).toEqual([]);
  const { rows: outbox } = await pool.query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM outbox GROUP BY state');
  expect(outbox.filter((r) => r.state !== 'done')).toEqual([]);
}, 90_000);

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { botEnv, killAll, startReplicas, type Running } from '../support/bot-process.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { eventually, settled } from '../support/harness.js';
import { dropRedisPrefix } from '../support/redis.js';
import { startRoundRobinProxy, type RoundRobinProxy } from '../support/round-robin-proxy.js';
import { SlackDriver } from '../support/slack-driver.js';

const SECRET = 'replica-test-signing-secret';
const AMINA = 'U0AMINA01';
const NOAH = 'U0NOAH001';
const redisUrl = inject('redisUrl');
const prefix = `fbt_replicas_${process.pid}`;

let fake: FakeSlack;
let db: TestDatabase;
let pool: pg.Pool;
let proxy: RoundRobinProxy;
let driver: SlackDriver;
let general: string;
const replicas: Running[] = [];
const dir = mkdtempSync(join(tmpdir(), 'firebreak-replicas-'));

beforeAll(async () => {
  fake = await startFakeSlack();
  fake.addUser({ id: AMINA, name: 'amina', tz: 'Africa/Nairobi' });
  fake.addUser({ id: NOAH, name: 'noah', tz: 'Europe/Berlin' });
  general = fake.addChannel({ name: 'general', members: [AMINA, NOAH] }).id;
  db = await createTestDatabase('replicas');
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  writeFileSync(join(dir, 'firebreak.yml'), 'timezone: Africa/Nairobi\n');
  const started = await startReplicas(3, (port) =>
    botEnv(
      fake,
      { signingSecret: SECRET, port, databaseUrl: db.url, configPath: join(dir, 'firebreak.yml') },
      redisUrl ? { REDIS_URL: redisUrl, FIREBREAK_QUEUE_PREFIX: prefix } : {},
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
  await pool?.end();
  await fake?.close();
  await db?.drop();
  if (redisUrl) await dropRedisPrefix(redisUrl, prefix);
  rmSync(dir, { recursive: true, force: true });
});

async function command(text: string, channelId: string, userId = AMINA) {
  const result = await driver.slashCommand({ text, userId, channelId });
  expect(result.status).toBe(200);
  return result;
}

it('three replicas behind round-robin, one SIGKILLed midway: every command answered once, every effect once', async () => {
  const opened = await command('open sev1 Orders table locked', general);
  const [reply] = await opened.waitForResponses(1, 10_000);
  const channel = /<#(C\w+)>/.exec(String(reply?.body['text']))![1]!;

  const notes = Array.from({ length: 30 }, (_, i) => `note step ${i} of the drill`);
  const firstHalf = await Promise.all(notes.slice(0, 15).map((text) => command(text, channel)));
  // Killed the moment it has acked its share of the burst.
  replicas[1]!.child.kill('SIGKILL');
  await replicas[1]!.exited;
  const secondHalf = await Promise.all(notes.slice(15).map((text) => command(text, channel, NOAH)));

  const pinned = fake.postAsUser(channel, NOAH, 'pid 4242 idle in transaction since 13:10');
  await driver.event(fake.messageEvent(pinned));
  await driver.event(fake.reactAsUser(channel, pinned.ts, AMINA, 'pushpin'));
  // People wait for one answer before the next change: otherwise the close may land first.
  await (await command('status identified idle in transaction after a SAVEPOINT', channel)).waitForResponses(1, 20_000);
  const close = await command('close terminated pid 4242', channel);

  // Every command is answered. One the killed replica had answered but not yet marked done is
  // answered again by the replica that takes it over: the same words, and its effect still once.
  for (const result of [...firstHalf, ...secondHalf, close]) {
    const answers = await result.waitForResponses(1, 20_000);
    expect(new Set(answers.map((a) => String(a.body['text']).replace(/<!date\^\d+/, ''))).size).toBe(1);
  }
  await settled(pool, 30_000);
  await eventually(async () => {
    const { rows } = await pool.query(`SELECT 1 FROM timeline_events WHERE kind = 'pinned'`);
    return rows.length === 1 ? true : undefined;
  }, 10_000);

  const { rows } = await pool.query<{ kind: string; n: number }>(
    'SELECT kind, count(*)::int AS n FROM timeline_events GROUP BY kind ORDER BY kind',
  );
  expect(rows).toEqual([
    { kind: 'close', n: 1 },
    { kind: 'note', n: 30 },
    { kind: 'open', n: 1 },
    { kind: 'pinned', n: 1 },
    { kind: 'status', n: 1 },
  ]);
  expect(fake.channels().filter((c) => c.name.includes('orders-table-locked'))).toHaveLength(1);
  const posted = fake.messages(channel).map((m) => m.text);
  for (const text of notes) {
    const copies = fake.messages(channel).filter((m) => m.text.endsWith(text.slice('note '.length)));
    expect(copies).toHaveLength(1);
  }
  expect(posted.filter((t) => t.includes('closed this incident'))).toHaveLength(1);
  const cards = fake.messages(channel).filter((m) => JSON.stringify(m.blocks ?? []).includes('"header"'));
  expect(cards).toHaveLength(1);
  expect(JSON.stringify(cards[0]!.blocks)).toContain('resolved');
}, 120_000);

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { botEnv, freePort, healthy, runBot, type Running } from '../support/bot-process.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { settled } from '../support/harness.js';
import { SlackDriver } from '../support/slack-driver.js';

const SECRET = 'crash-test-signing-secret';
const AMINA = 'U0AMINA01';

let fake: FakeSlack;
let db: TestDatabase;
let pool: pg.Pool;
let general: string;
const dir = mkdtempSync(join(tmpdir(), 'firebreak-crash-'));
const running: Running[] = [];

beforeAll(async () => {
  fake = await startFakeSlack();
  fake.addUser({ id: AMINA, name: 'amina', tz: 'Africa/Nairobi' });
  general = fake.addChannel({ name: 'ops', members: [AMINA] }).id;
  db = await createTestDatabase('crash');
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  writeFileSync(join(dir, 'firebreak.yml'), 'timezone: Africa/Nairobi\n');
});
afterEach(async () => {
  for (const proc of running.splice(0)) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
});
afterAll(async () => {
  await pool?.end();
  await fake?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function startBot(): Promise<{ proc: Running; driver: SlackDriver }> {
  const port = await freePort();
  const proc = runBot(botEnv(fake, { signingSecret: SECRET, port, databaseUrl: db.url, configPath: join(dir, 'firebreak.yml') }));
  running.push(proc);
  const url = `http://127.0.0.1:${port}`;
  await healthy(url, proc);
  return { proc, driver: new SlackDriver({ botUrl: url, signingSecret: SECRET, fake }) };
}

async function kill(proc: Running): Promise<void> {
  proc.child.kill('SIGKILL');
  await proc.exited;
}

async function openIncident(driver: SlackDriver): Promise<string> {
  const opened = await driver.slashCommand({ text: 'open sev2 Orders table locked', userId: AMINA, channelId: general });
  const [reply] = await opened.waitForResponses(1, 10_000);
  const channel = /<#(C\w+)>/.exec(String(reply?.body['text']))?.[1];
  if (!channel) throw new Error(`no incident channel in ${JSON.stringify(reply?.body)}`);
  await settled(pool);
  return channel;
}

describe('a replica killed at the worst moment', () => {
  it('records and answers a command it acked just before dying, once, after a restart', async () => {
    const first = await startBot();
    const channel = await openIncident(first.driver);
    // The note's handler waits on Slack for the typist's zone: the process dies in the middle.
    fake.delay('users.info', 3_000);
    const note = await first.driver.slashCommand({ text: 'note 12:34pm EAT writers queue behind pid 4242', userId: AMINA, channelId: channel });
    expect(note.status).toBe(200);
    await kill(first.proc);
    fake.delay('users.info', 0);
    expect(note.responses()).toHaveLength(0);

    const second = await startBot();
    const [reply] = await note.waitForResponses(1, 15_000);
    expect(String(reply?.body['text'])).toContain('Added to the timeline');
    await settled(pool, 15_000);
    const { rows } = await pool.query(`SELECT text FROM timeline_events WHERE kind = 'note'`);
    expect(rows).toEqual([{ text: 'writers queue behind pid 4242' }]);
    const echoes = fake.messages(channel).filter((m) => m.text.includes('writers queue behind pid 4242'));
    expect(echoes).toHaveLength(1);
    second.driver.close();
    first.driver.close();
  }, 60_000);

  it('shows a recorded change in Slack once after dying between the record and the Slack calls', async () => {
    const first = await startBot();
    const channel = await openIncident(first.driver);
    const card = fake.messages(channel)[0]!;
    // Slack is slow to post: the announcement is in flight (and lands) when the process dies,
    // so the bot never learns it was sent.
    fake.delay('chat.postMessage', 1_500);
    const status = await first.driver.slashCommand({ text: 'status identified idle in transaction', userId: AMINA, channelId: channel });
    const [reply] = await status.waitForResponses(1, 5_000);
    expect(String(reply?.body['text'])).toBe('Recorded.');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await kill(first.proc);
    fake.delay('chat.postMessage', 0);
    const lookedUp = () => fake.calls('conversations.history').filter((c) => c.args['include_all_metadata'] === 'true').length;
    const lookupsBefore = lookedUp();

    const second = await startBot();
    await settled(pool, 15_000);
    const announcements = fake.messages(channel).filter((m) => m.text.includes('to *identified*'));
    expect(announcements).toHaveLength(1);
    // The retry looked for its own post (by the key in its metadata) instead of posting again.
    expect(lookedUp()).toBeGreaterThan(lookupsBefore);
    expect(JSON.stringify(fake.messages(channel).find((m) => m.ts === card.ts)?.blocks)).toContain('identified');
    expect(fake.channel(channel)!.topic.value).toMatch(/^SEV2 · identified/);

    const close = await second.driver.slashCommand({ text: 'close terminated pid 4242', userId: AMINA, channelId: channel });
    await close.waitForResponses(1, 5_000);
    await kill(second.proc);
    const third = await startBot();
    await settled(pool, 15_000);
    const closedCard = JSON.stringify(fake.messages(channel).find((m) => m.ts === card.ts)?.blocks);
    expect(closedCard).toContain('resolved');
    expect(closedCard).toContain('terminated pid 4242');
    expect(fake.messages(channel).filter((m) => m.text.includes('closed this incident'))).toHaveLength(1);
    for (const run of [first, second, third]) run.driver.close();
  }, 90_000);

  it('hands work it could not finish within the 5 s drain on SIGTERM to the next start', async () => {
    const first = await startBot();
    const channel = await openIncident(first.driver);
    fake.delay('users.info', 8_000);
    const note = await first.driver.slashCommand({ text: 'note drained or handed over', userId: AMINA, channelId: channel });
    expect(note.status).toBe(200);
    const stopping = Date.now();
    first.proc.child.kill('SIGTERM');
    expect(await first.proc.exited).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(7_000);
    fake.delay('users.info', 0);

    const second = await startBot();
    const answers = await note.waitForResponses(1, 15_000);
    expect(String(answers[0]?.body['text'])).toContain('Added to the timeline');
    await settled(pool, 15_000);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM timeline_events WHERE text = 'drained or handed over'`);
    expect(rows[0]).toEqual({ n: 1 });
    for (const run of [first, second]) run.driver.close();
  }, 60_000);
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startFirebreak, type Firebreak } from '../../src/firebreak.js';
import { createLogger } from '../../src/log.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/store/embedded.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { eventually, settled, SIGNING_SECRET } from '../support/harness.js';
import { SlackDriver } from '../support/slack-driver.js';

const AMINA = 'U0AMINA01';
const dir = mkdtempSync(join(tmpdir(), 'firebreak-pg-restart-'));
const log = createLogger('silent');
let postgres: EmbeddedDatabase;
let fake: FakeSlack;
let bot: Firebreak;
let driver: SlackDriver;
let db: pg.Pool;
let general: string;

beforeAll(async () => {
  postgres = await startEmbeddedPostgres(join(dir, 'data'), log);
  fake = await startFakeSlack();
  fake.addUser({ id: AMINA, name: 'amina', tz: 'Africa/Nairobi' });
  general = fake.addChannel({ name: 'general', members: [AMINA] }).id;
  writeFileSync(join(dir, 'firebreak.yml'), 'timezone: Africa/Nairobi\n');
  const config = loadConfig({
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    PORT: '0',
    DATABASE_URL: postgres.url,
    FIREBREAK_CONFIG: join(dir, 'firebreak.yml'),
  });
  bot = await startFirebreak(config, log, { queuePrefix: 'fbt_pgrestart', host: '127.0.0.1' });
  driver = new SlackDriver({ botUrl: bot.url, signingSecret: SIGNING_SECRET, fake });
  db = new pg.Pool({ connectionString: postgres.url, max: 2 });
  db.on('error', () => undefined);
}, 60_000);
afterAll(async () => {
  driver?.close();
  await db?.end();
  await bot?.stop();
  await fake?.close();
  await postgres?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function answer(text: string, channelId: string): Promise<{ text: string; ms: number }> {
  const result = await driver.slashCommand({ text, userId: AMINA, channelId });
  expect(result.status).toBe(200);
  const inAck = (result.body as { text?: string } | null)?.text;
  if (inAck) return { text: inAck, ms: result.ms };
  const [reply] = await result.waitForResponses(1, 10_000);
  return { text: String(reply?.body['text']), ms: result.ms };
}

it('answers commands during a PostgreSQL restart with a clear error within 3 s, records nothing half-way, and works again after', async () => {
  const opened = await answer('open sev2 Before the restart', general);
  const channel = /<#(C\w+)>/.exec(opened.text)![1]!;
  await settled(db);

  await postgres.stop();
  for (const typed of ['note during the outage', 'open sev1 During the outage', 'status identified']) {
    const during = await answer(typed, typed.startsWith('open') ? general : channel);
    expect(during.ms).toBeLessThan(3_000);
    expect(during.text).toContain('database is not answering');
    expect(during.text).toContain('Nothing was recorded');
  }

  postgres = await startEmbeddedPostgres(join(dir, 'data'), log, { port: postgres.port });
  const after = await eventually(async () => {
    const reply = await answer('note after the restart', channel);
    return reply.text.includes('Added to the timeline') ? reply : undefined;
  }, 20_000);
  expect(after.ms).toBeLessThan(3_000);
  await settled(db);
  const { rows: incidents } = await db.query('SELECT title, state FROM incidents ORDER BY id');
  expect(incidents).toEqual([{ title: 'Before the restart', state: 'open' }]);
  const { rows: notes } = await db.query(`SELECT text FROM timeline_events WHERE kind = 'note' ORDER BY id`);
  expect(notes).toEqual([{ text: 'after the restart' }]);
  expect(fake.channels().some((c) => c.name.includes('during-the-outage'))).toBe(false);
}, 90_000);

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, healthy, runBot as run } from '../support/bot-process.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { SlackDriver } from '../support/slack-driver.js';

const SECRET = 'process-test-signing-secret';

let fake: FakeSlack;
let db: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'firebreak-process-'));
beforeAll(async () => {
  fake = await startFakeSlack();
  db = await createTestDatabase('process');
  writeFileSync(join(dir, 'firebreak.yml'), 'timezone: Africa/Nairobi\n');
});
afterAll(async () => {
  await fake?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

function slackEnv(port: number): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: fake.apiUrl,
    PORT: String(port),
    FIREBREAK_CONFIG: join(dir, 'firebreak.yml'),
  };
}

describe('the firebreak process', () => {
  it.each([
    [{}, 'SLACK_BOT_TOKEN is not set'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', PORT: 'x' }, 'PORT must be a port number'],
    [{ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', FIREBREAK_CONFIG: '/nope.yml' }, 'FIREBREAK_CONFIG'],
  ])('stops with exit code 2 and one line naming the bad setting (%j)', async (env, message) => {
    const proc = run(env);
    expect(await proc.exited).toBe(2);
    const lines = proc.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
  });

  it('stops with exit code 2 when Slack rejects the token', async () => {
    const port = await freePort();
    const proc = run({ ...slackEnv(port), SLACK_BOT_TOKEN: 'xoxb-revoked', DATABASE_URL: db.url });
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toContain('SLACK_BOT_TOKEN was rejected by Slack');
  });

  it('finishes in-flight work on SIGTERM, then exits 0, never logging a secret', async () => {
    const port = await freePort();
    // A password in the database URL must not reach the logs either (trust auth ignores it; the
    // embedded server's URL carries its own).
    const databaseUrl = new URL(db.url);
    if (!databaseUrl.password) databaseUrl.password = 'db-password-never-logged';
    const proc = run({ ...slackEnv(port), DATABASE_URL: databaseUrl.toString(), LOG_LEVEL: 'debug' });
    const url = `http://127.0.0.1:${port}`;
    await healthy(url, proc);
    fake.addUser({ id: 'U0SIGTERM1', name: 'sam', tz: 'UTC' });
    const general = fake.addChannel({ name: 'ops' }).id;
    // Slack is slow to create the channel: the work is still running when SIGTERM arrives.
    fake.delay('conversations.create', 1_000);
    const driver = new SlackDriver({ botUrl: url, signingSecret: SECRET, fake });
    const result = await driver.slashCommand({ text: 'open sev2 Shutdown drill', userId: 'U0SIGTERM1', channelId: general });
    expect(result.status).toBe(200);
    proc.child.kill('SIGTERM');
    const started = Date.now();
    expect(await proc.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(String(result.responses()[0]?.body['text'])).toContain('Opened incident');
    expect(fake.channels().some((c) => c.name.endsWith('shutdown-drill'))).toBe(true);
    driver.close();
    const log = proc.output();
    expect(log).toContain('Firebreak is running');
    expect(log).not.toContain(fake.botToken);
    expect(log).not.toContain(SECRET);
    expect(log).not.toContain(`:${databaseUrl.password}@`);
    if (databaseUrl.password === 'db-password-never-logged') expect(log).not.toContain(databaseUrl.password);
  });

  it('runs on the embedded PostgreSQL and PostgreSQL-backed queues when DATABASE_URL and REDIS_URL are unset', async () => {
    const port = await freePort();
    const dataDir = join(dir, 'data');
    const proc = run({ ...slackEnv(port), FIREBREAK_DATA_DIR: dataDir });
    await healthy(`http://127.0.0.1:${port}`, proc, 50_000).finally(() => proc.child.kill('SIGTERM'));
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain('embedded PostgreSQL started');
    expect(proc.output()).toContain('"queues":"postgres"');
  }, 60_000);
});

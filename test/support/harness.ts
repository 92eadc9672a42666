import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startFirebreak, type Firebreak } from '../../src/firebreak.js';
import { createLogger, type Logger } from '../../src/log.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { dropRedisPrefix } from './redis.js';
import { startFakeSlack, type FakeSlack } from './fake-slack.js';
import { SlackDriver } from './slack-driver.js';

export const SIGNING_SECRET = 'test-signing-secret';

export interface Harness {
  fake: FakeSlack;
  driver: SlackDriver;
  bot: Firebreak;
  /** A pool on the bot's own database, for asserting what was recorded. */
  db: pg.Pool;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** firebreak.yml contents; the default sets the seed postmortem's zone. */
  yaml?: string;
  queues?: 'postgres' | 'redis';
  /** The fake Slack's clock (ms), to post messages in the past. */
  slackNow?: () => number;
  /**
   * Socket Mode: SLACK_APP_TOKEN is set (and no signing secret), so the bot connects to the fake
   * over a WebSocket; drive it with `fake.send…OverSocket`. `bot.url` still serves /healthz.
   */
  socketMode?: boolean;
  /** Serve /healthz and /metrics on a port of their own (ADMIN_PORT). */
  adminPort?: boolean;
  /** The bot's logger; by default TEST_LOG_LEVEL (silent) to stdout. */
  log?: Logger;
}

/**
 * The real bot on a fresh database, talking to a fake Slack on loopback, driven by signed requests:
 * what a test sees is what a user would.
 */
export async function startHarness(label: string, options: HarnessOptions = {}): Promise<Harness> {
  const database: TestDatabase = await createTestDatabase(label);
  const fake = await startFakeSlack(options.slackNow ? { now: options.slackNow } : {});
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-e2e-'));
  const configPath = join(dir, 'firebreak.yml');
  writeFileSync(configPath, options.yaml ?? 'timezone: Africa/Nairobi\nchannel_prefix: inc\n');
  const redisUrl = options.queues === 'redis' ? inject('redisUrl') : null;
  const config = loadConfig({
    SLACK_BOT_TOKEN: fake.botToken,
    ...(options.socketMode ? { SLACK_APP_TOKEN: fake.appToken } : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
    SLACK_API_URL: fake.apiUrl,
    PORT: '0',
    ...(options.adminPort ? { ADMIN_PORT: '0' } : {}),
    DATABASE_URL: database.url,
    ...(redisUrl ? { REDIS_URL: redisUrl } : {}),
    FIREBREAK_CONFIG: configPath,
  });
  const queuePrefix = `fbt_${label}_${randomBytes(3).toString('hex')}`;
  const bot = await startFirebreak(config, options.log ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'), {
    queuePrefix,
    host: '127.0.0.1',
  });
  const driver = new SlackDriver({ botUrl: bot.url, signingSecret: SIGNING_SECRET, fake });
  const db = new pg.Pool({ connectionString: database.url, max: 3 });
  return {
    fake,
    driver,
    bot,
    db,
    async stop() {
      driver.close();
      await db.end();
      await bot.stop();
      await fake.close();
      await database.drop();
      if (redisUrl) await dropRedisPrefix(redisUrl, queuePrefix);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Counts rows, to show that a refused command changed nothing. */
export async function recordedCounts(db: pg.Pool): Promise<{ incidents: number; events: number; snapshot: string }> {
  const incidents = await db.query<{ n: string }>('SELECT count(*) AS n FROM incidents');
  const events = await db.query<{ n: string }>('SELECT count(*) AS n FROM timeline_events');
  const snapshot = await db.query<{ s: string }>(
    `SELECT coalesce(string_agg(i::text, '|' ORDER BY id), '') AS s FROM incidents i`,
  );
  return { incidents: Number(incidents.rows[0]!.n), events: Number(events.rows[0]!.n), snapshot: snapshot.rows[0]!.s };
}

/** Polls an async check until it returns a value (not undefined), for effects that follow an ack. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Waits until every recorded request is handled and every Slack effect delivered (or refused). */
export async function settled(db: pg.Pool, timeoutMs = 10_000): Promise<void> {
  await eventually(async () => {
    const { rows } = await db.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM inbox WHERE state = 'pending') + (SELECT count(*) FROM outbox WHERE state = 'pending') AS n`,
    );
    return rows[0]!.n === '0' ? true : undefined;
  }, timeoutMs);
}

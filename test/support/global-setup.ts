import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { createLogger } from '../../src/log.js';
import { startEmbeddedPostgres } from '../../src/store/embedded.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the PostgreSQL the tests create their databases in. */
    pgAdminUrl: string;
    /** Redis for the Redis-backed queue tests, or null when none is reachable (newcomer machines). */
    redisUrl: string | null;
  }
}

const PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function redisAnswers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/**
 * Finds the real servers the suite runs against. CI must have both; a newcomer without them still
 * gets a passing suite on an embedded PostgreSQL, and is told which Redis tests did not run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const strict = process.env.CI === 'true';
  let teardown = async () => undefined;
  let pgUrl = PG_URL;
  if (!(await postgresAnswers(PG_URL))) {
    if (strict) throw new Error(`CI needs PostgreSQL at ${PG_URL}; .ci/run starts it`);
    const dir = await mkdtemp(join(tmpdir(), 'firebreak-test-pg-'));
    const embedded = await startEmbeddedPostgres(dir, createLogger('silent'));
    pgUrl = embedded.url;
    console.warn(`No PostgreSQL at ${PG_URL}: the tests use an embedded PostgreSQL instead.`);
    teardown = async () => {
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const redisUp = await redisAnswers(REDIS_URL);
  if (!redisUp) {
    if (strict) throw new Error(`CI needs Redis at ${REDIS_URL}; .ci/run starts it`);
    console.warn(
      `No Redis at ${REDIS_URL}: SKIPPING the Redis-backed tests (the "on redis" variants in test/queue/queues.test.ts, ` +
        `test/e2e/incident-lifecycle.test.ts and test/escalation/); their PostgreSQL-backed twins still run, ` +
        `and the summary at the end lists every test skipped.`,
    );
  }
  project.provide('pgAdminUrl', pgUrl);
  project.provide('redisUrl', redisUp ? REDIS_URL : null);
  return teardown;
}

// /locks end to end: from the signed slash command leaving the client to the lock picture being
// in the channel of the fake Slack. The real bot (its own process by default) with its store on
// one embedded PostgreSQL inspects another that holds bench/lock-scene.ts's contention scene
// (every shape, 200 idle sessions), measured as is and again with ~15,000 more held locks.
// Target (the issue): posted p50 < 500 ms.
//
//   npx tsx bench/locks-e2e.ts          (or npm run bench:locks-e2e)
//
// Environment (all optional):
//   BENCH_REPEATS     commands per phase (60), one at a time
//   BENCH_WARMUP      commands before each phase, not counted (5)
//   BENCH_EXTRA_LOCKS held locks added for the second phase (15000)
//   BENCH_IDLE        idle sessions in the scene (200)
//   BENCH_REDIS_URL   run the bot's queues on Redis instead of PostgreSQL
//   BENCH_SPLIT=0     run the bot in this process (default: a child process of its own)
//   BENCH_LOG_LEVEL   the bot's pino level (silent)
//
// Each command is typed in a channel of its own (the bot is a member, no incident), so the wait
// for "posted" looks at one channel's messages. Exit status 0 whatever the verdict (a
// measurement), 1 when a command gets no picture or set-up fails.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLocksPool, diagnose } from '../src/locks/diagnose.js';
import { createLogger } from '../src/log.js';
import { startEmbeddedPostgres } from '../src/store/embedded.js';
import { startFakeSlack, type FakeSlack } from '../test/support/fake-slack.js';
import { SlackDriver } from '../test/support/slack-driver.js';
import { startApp, startAppProcess, type AppSettings } from './apps.js';
import { intEnv } from './env.js';
import { LockScene, type Scene } from './lock-scene.js';

const REPEATS = intEnv('BENCH_REPEATS', 60, 1);
const WARMUP = intEnv('BENCH_WARMUP', 5, 0);
const EXTRA_LOCKS = intEnv('BENCH_EXTRA_LOCKS', 15_000, 1);
const IDLE = intEnv('BENCH_IDLE', 200, 1);
const REDIS_URL = process.env.BENCH_REDIS_URL || null;
const SPLIT = process.env.BENCH_SPLIT !== '0';
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'silent';
const SIGNING_SECRET = 'bench-signing-secret';
const DBA = 'U0BENCHDBA';
const TARGET_P50_MS = 500;
const WAIT_MS = 15_000;

/** Nearest-rank percentile. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1] ?? Number.NaN;
}

interface Sample {
  ackMs: number;
  postedMs: number;
}

let channels = 0;

/** One `/locks app`, timed from the request leaving until the picture is in the channel. */
async function once(fake: FakeSlack, driver: SlackDriver, scene: Scene): Promise<Sample> {
  channels += 1;
  const channelId = fake.addChannel({ name: `locks-bench-${channels}`, members: [DBA, fake.botUserId] }).id;
  const started = performance.now();
  const posted = fake.waitFor(
    () => (fake.messages(channelId).some((m) => m.text.startsWith('Lock contention on app')) ? performance.now() : undefined),
    WAIT_MS,
    `the lock picture in ${channelId}`,
  );
  const result = await driver.slashCommand({ command: '/locks', text: 'app', userId: DBA, channelId });
  const ackMs = performance.now() - started;
  if (result.status !== 200) throw new Error(`/locks answered HTTP ${result.status}`);
  const postedAt = await posted;
  const picture = fake.messages(channelId).find((m) => m.text.startsWith('Lock contention on app'));
  const roots = scene.expectedRoots.size;
  if (!picture?.text.includes(`behind ${roots} root blockers and 1 deadlock cycle`)) {
    throw new Error(`the picture does not name ${roots} roots and the cycle: ${picture?.text}`);
  }
  // The person's confirmation, so the next command does not overlap this one's tail.
  const [reply] = await result.waitForResponses(1, WAIT_MS);
  if (!String(reply?.body['text'] ?? '').startsWith('Posted the lock picture of app')) throw new Error(`unexpected reply ${JSON.stringify(reply?.body)}`);
  return { ackMs, postedMs: postedAt - started };
}

async function phase(title: string, fake: FakeSlack, driver: SlackDriver, scene: Scene, locksUrl: string): Promise<string> {
  for (let i = 0; i < WARMUP; i += 1) await once(fake, driver, scene);
  const samples: Sample[] = [];
  for (let i = 0; i < REPEATS; i += 1) samples.push(await once(fake, driver, scene));
  // The diagnosis alone, from this process, for the share of the whole it is.
  const locks = createLocksPool({ name: 'app', url: locksUrl }, 5000);
  const diagnosisMs: number[] = [];
  try {
    await diagnose(locks);
    for (let i = 0; i < REPEATS; i += 1) {
      const t = performance.now();
      await diagnose(locks);
      diagnosisMs.push(performance.now() - t);
    }
  } finally {
    await locks.pool.end();
  }
  const ack = samples.map((s) => s.ackMs);
  const posted = samples.map((s) => s.postedMs);
  const fmt = (n: number) => n.toFixed(1);
  const p50 = percentile(posted, 50);
  return `| ${title} | ${REPEATS} | ${fmt(percentile(ack, 50))} | ${fmt(percentile(ack, 99))} | ${fmt(p50)} | ${fmt(percentile(posted, 99))} | ${fmt(Math.max(...posted))} | ${fmt(percentile(diagnosisMs, 50))} | ${p50 < TARGET_P50_MS ? 'yes' : 'no'} |`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'firebreak-bench-locks-e2e-'));
  const log = createLogger('warn');
  const server = await startEmbeddedPostgres(join(dir, 'inspected'), log, {
    settings: { max_connections: '450', max_locks_per_transaction: '128', max_prepared_transactions: '10' },
  });
  // The bot's own store on a server of its own, as in production: its queue's row and advisory
  // locks are not part of the picture it inspects.
  const store = await startEmbeddedPostgres(join(dir, 'store'), log).catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  const lockScene = new LockScene();
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const admin = await lockScene.connect(server.url, 'bench-admin');
    for (const name of ['bench', 'bench_other']) await admin.query(`CREATE DATABASE ${name}`);
    const on = (db: string) => Object.assign(new URL(server.url), { pathname: `/${db}` }).toString();
    const url = on('bench');
    const benchAdmin = await lockScene.connect(url, 'bench-setup');
    const scene = await lockScene.build(url, on('bench_other'), benchAdmin, IDLE);
    const count = async () => (await benchAdmin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks')).rows[0]?.n ?? 0;

    const fake = await startFakeSlack();
    cleanups.push(() => fake.close());
    fake.addUser({ id: DBA, name: 'dba', tz: 'UTC' });
    const settings: AppSettings = {
      signingSecret: SIGNING_SECRET,
      slackApiUrl: fake.apiUrl,
      botToken: fake.botToken,
      databaseUrl: store.url,
      redisUrl: REDIS_URL,
      logLevel: LOG_LEVEL,
      configYaml: `timezone: UTC\nlocks:\n  databases:\n    app: {url: "${url}"}\n  statement_timeout: 5s\n`,
    };
    const bot = await (SPLIT ? startAppProcess : startApp)('firebreak', settings);
    cleanups.push(() => bot.close());
    const driver = new SlackDriver({ botUrl: bot.url, signingSecret: SIGNING_SECRET, fake });
    cleanups.push(async () => driver.close());

    const version = (await benchAdmin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v;
    const lines = [
      `/locks end to end: node ${process.version}, PostgreSQL ${version}; queues on ${REDIS_URL ? 'redis' : 'postgres'}; ` +
        `the bot ${SPLIT ? 'in a process of its own' : 'in this process'}; ${WARMUP} warm-up + ${REPEATS} commands per phase, one at a time`,
      '',
      '| scene | n | ack p50 ms | ack p99 ms | posted p50 ms | posted p99 ms | posted max ms | diagnosis alone p50 ms | p50 < 500 ms? |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ];
    lines.push(await phase(`shapes + ${IDLE} idle (${await count()} locks)`, fake, driver, scene, url));
    await lockScene.holdExtraLocks(url, EXTRA_LOCKS);
    lines.push(await phase(`+ ${EXTRA_LOCKS} held (${await count()} locks)`, fake, driver, scene, url));
    console.log(lines.join('\n'));
  } finally {
    for (const step of cleanups.reverse()) await step().catch((error: unknown) => console.error('clean-up:', error));
    await lockScene.close();
    await store.stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

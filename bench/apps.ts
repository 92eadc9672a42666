// The two apps bench/ack.ts compares, startable in the benchmark's own process or (BENCH_SPLIT=1)
// each in a child process of its own via bench/app-process.ts.
import { execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import { loadConfig } from '../src/config.js';
import { dropRedisPrefix } from '../test/support/redis.js';
import { startFirebreak } from '../src/firebreak.js';
import { createLogger } from '../src/log.js';

export type AppName = 'firebreak' | 'bare';

/** What an app needs to know; plain data, so it can be handed to a child process. */
export interface AppSettings {
  signingSecret: string;
  /** The fake Slack's Web API (`{url}/api/`) and the token it accepts. */
  slackApiUrl: string;
  botToken: string;
  /** Firebreak only. */
  databaseUrl?: string;
  redisUrl?: string | null;
  logLevel?: string;
  /** Firebreak only: firebreak.yml (default `timezone: UTC`). */
  configYaml?: string;
}

export interface RunningApp {
  /** Base URL; Slack's requests go to `{url}/slack/events` (the bare app answers on any path). */
  url: string;
  /** The app's process when it runs in one of its own (startAppProcess), for its memory figures. */
  pid?: number;
  close(): Promise<void>;
}

/** The real bot, started the way test/support/harness.ts starts it. */
export async function startFirebreakApp(s: AppSettings): Promise<RunningApp> {
  if (!s.databaseUrl) throw new Error('Firebreak needs a database URL');
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-bench-'));
  const configPath = join(dir, 'firebreak.yml');
  writeFileSync(configPath, s.configYaml ?? 'timezone: UTC\n');
  try {
    const config = loadConfig({
      SLACK_BOT_TOKEN: s.botToken,
      SLACK_SIGNING_SECRET: s.signingSecret,
      SLACK_API_URL: s.slackApiUrl,
      PORT: '0',
      DATABASE_URL: s.databaseUrl,
      ...(s.redisUrl ? { REDIS_URL: s.redisUrl } : {}),
      FIREBREAK_CONFIG: configPath,
    });
    const queuePrefix = `fb_bench_${randomBytes(3).toString('hex')}`;
    const bot = await startFirebreak(config, createLogger(s.logLevel ?? 'silent'), { host: '127.0.0.1', queuePrefix });
    return {
      url: bot.url,
      close: async () => {
        await bot.stop();
        if (s.redisUrl) await dropRedisPrefix(s.redisUrl, queuePrefix);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The baseline: Bolt served exactly as Firebreak serves it (HTTPReceiver, processBeforeResponse
 * false, its request listener behind node:http on loopback), with one listener that only acks.
 */
export async function startBareApp(s: AppSettings): Promise<RunningApp> {
  const receiver = new HTTPReceiver({ signingSecret: s.signingSecret, processBeforeResponse: false, logLevel: LogLevel.ERROR });
  const app = new App({
    token: s.botToken,
    receiver,
    clientOptions: { slackApiUrl: s.slackApiUrl },
    logLevel: LogLevel.ERROR,
    deferInitialization: true,
  });
  await app.init();
  app.command('/incident', async ({ ack }) => {
    await ack();
  });
  const server: Server = createServer((req, res) => receiver.requestListener(req, res));
  // As src/http/server.ts keeps them: otherwise only this app would face a burst of new
  // connections at the start of each round, its sockets closed while the other app's round ran.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function startApp(name: AppName, s: AppSettings): Promise<RunningApp> {
  return name === 'firebreak' ? startFirebreakApp(s) : startBareApp(s);
}

/** Messages between bench/ack.ts and bench/app-process.ts. */
export type FromChild = { type: 'ready'; url: string } | { type: 'failed'; error: string } | { type: 'closed' };
export type ToChild = { type: 'close' };

const COMPILED_DIR = fileURLToPath(new URL('../dist-bench/', import.meta.url));

/**
 * Compiles bench/app-process.ts and what it imports (the bot included) to dist-bench/, so the apps
 * can run as `npm start` runs the bot: plain node, without tsx, whose loader alone costs about
 * 33 MB of RSS (an idle bot: 158 MB under tsx, 125 MB compiled).
 */
export function compileAppProcess(): void {
  rmSync(COMPILED_DIR, { recursive: true, force: true });
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  execFileSync(process.execPath, [tsc, '-p', fileURLToPath(new URL('../tsconfig.bench.json', import.meta.url))], { stdio: 'inherit' });
}

/**
 * Starts the app in a child process of its own, so it has an event loop to itself: from the
 * sources under tsx, or (`compiled`, after compileAppProcess) as plain JavaScript.
 */
export function startAppProcess(name: AppName, s: AppSettings, options: { compiled?: boolean } = {}): Promise<RunningApp> {
  const script = options.compiled ? join(COMPILED_DIR, 'bench', 'app-process.js') : fileURLToPath(new URL('./app-process.ts', import.meta.url));
  // BENCH_CHILD_NODE_ARGS: extra node flags for the app processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const extra = (process.env.BENCH_CHILD_NODE_ARGS ?? '').split(/\s+/).filter((arg) => arg !== '');
  const execArgv = options.compiled ? extra : ['--import', 'tsx', ...extra];
  const child = fork(script, [name, JSON.stringify(s)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${name} process exited (${code}) before it was ready`));
    child.once('exit', onExit);
    child.on('message', (message: FromChild) => {
      if (message.type === 'failed') reject(new Error(`${name} process: ${message.error}`));
      if (message.type !== 'ready') return;
      child.off('exit', onExit);
      resolve({
        url: message.url,
        ...(child.pid !== undefined ? { pid: child.pid } : {}),
        close: async () => {
          if (child.exitCode === null && child.signalCode === null) child.send({ type: 'close' } satisfies ToChild);
          const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}

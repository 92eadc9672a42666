import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `src/main.ts` in a child process, as an operator starts it, with only `env` set. */
export function runBot(env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Waits for /healthz to answer 200, failing early (with the bot's output) if the process exits. */
export async function healthy(url: string, proc: Running, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void proc.exited.then((code) => (exitCode = code));
  for (;;) {
    const status = await fetch(`${url}/healthz`).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (exitCode !== undefined) throw new Error(`the bot exited with ${exitCode}:\n${proc.output()}`);
    if (Date.now() > deadline) throw new Error(`no healthy answer from ${url} within ${timeoutMs} ms:\n${proc.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The environment of a bot on `port` talking to a fake Slack, with a store and a config file. */
export function botEnv(
  fake: { botToken: string; apiUrl: string },
  settings: { signingSecret: string; port: number; databaseUrl: string; configPath: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_SIGNING_SECRET: settings.signingSecret,
    SLACK_API_URL: fake.apiUrl,
    PORT: String(settings.port),
    DATABASE_URL: settings.databaseUrl,
    FIREBREAK_CONFIG: settings.configPath,
    ...extra,
  };
}

/** `count` bots with the same environment (but each its own port), started one after the other. */
export async function startReplicas(count: number, envFor: (port: number) => Record<string, string>): Promise<{ replicas: Running[]; urls: string[] }> {
  const replicas: Running[] = [];
  const urls: string[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const port = await freePort();
      const proc = runBot(envFor(port));
      replicas.push(proc);
      urls.push(`http://127.0.0.1:${port}`);
      // One at a time: each start migrates under an advisory lock, and their logs read better.
      await healthy(urls[i]!, proc);
    }
  } catch (error) {
    await killAll(replicas);
    throw error;
  }
  return { replicas, urls };
}

export async function killAll(replicas: Running[]): Promise<void> {
  for (const proc of replicas) proc.child.kill('SIGKILL');
  await Promise.all(replicas.map((proc) => proc.exited));
}

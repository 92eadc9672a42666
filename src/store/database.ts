import pg from 'pg';
import type { Logger } from '../log.js';
import { startEmbeddedPostgres } from './embedded.js';
import { migrate } from './migrate.js';

export interface Store {
  pool: pg.Pool;
  /**
   * Two connections of their own for the writes a Slack ack waits on (the inbox record), so
   * they never queue behind post-ack work holding every connection of `pool`.
   */
  ackPool: pg.Pool;
  /** The connection string in use (the embedded one when DATABASE_URL is unset). */
  url: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  databaseUrl: string | null;
  dataDir: string;
  log: Logger;
  poolSize?: number;
}

/** Opens the bot's own PostgreSQL (embedded when no URL is given) and brings its schema up to date. */
export async function openStore({ databaseUrl, dataDir, log, poolSize = 20 }: StoreOptions): Promise<Store> {
  const embedded = databaseUrl === null ? await startEmbeddedPostgres(dataDir, log) : null;
  const url = databaseUrl ?? embedded!.url;
  // A bounded wait for a connection: a command must hear "database unavailable" within Slack's 3 s.
  // search_path is pinned: with the default `"$user", public`, a schema named like the login role
  // (created later, by anyone) would shadow every table, and the next start would migrate an empty copy.
  const open = (max: number) => {
    const opened = new pg.Pool({
      connectionString: url,
      max,
      application_name: 'firebreak',
      connectionTimeoutMillis: 1_500,
      options: '-c search_path=public',
    });
    // An idle client's error (server restart) must not crash the process; the next query reconnects.
    opened.on('error', (error) => log.warn({ err: error.message }, 'idle PostgreSQL connection failed'));
    return opened;
  };
  const pool = open(poolSize);
  const ackPool = open(2);
  try {
    const applied = await migrate(pool);
    if (applied.length > 0) log.info({ applied }, 'database migrations applied');
  } catch (error) {
    await Promise.all([pool.end(), ackPool.end()]);
    await embedded?.stop();
    throw error;
  }
  return {
    pool,
    ackPool,
    url,
    ping: async () => {
      await pool.query('SELECT 1');
    },
    close: async () => {
      await Promise.all([pool.end(), ackPool.end()]);
      await embedded?.stop();
    },
  };
}

import { setTimeout as sleep } from 'node:timers/promises';
import {
  createPostgresBackend,
  Queue,
  Worker,
  type BackendFactory,
  type IQueueBackend,
  type Job,
  type PostgresConnectionOptions,
  type PostgresQueueBackend,
  type WorkerOptions,
} from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '../log.js';

export type JobQueue<T> = Queue<T, unknown, string, T, unknown, string, IQueueBackend, unknown>;
export type JobWorker<T> = Worker<T, unknown, string, IQueueBackend>;
export type JobProcessor<T> = (job: Job<T, unknown, string>) => Promise<unknown>;

/** What a caller may tune on its worker: how many jobs at once, and how soon a dead worker's job is taken back. */
export type WorkerTuning = Pick<WorkerOptions, 'concurrency' | 'lockDuration' | 'stalledInterval' | 'maxStalledCount'>;

export interface QueueSettings {
  /** Redis for production; when null the queues live in PostgreSQL (BullMQ's PostgreSQL backend). */
  redisUrl: string | null;
  postgresUrl: string;
  /** Namespaces keys (Redis) or the schema (PostgreSQL), so test files and deployments do not meet. */
  prefix?: string;
  log: Logger;
}

/** The one place that builds queue connections; everything else asks it for queues and workers. */
export interface Queues {
  readonly backend: 'redis' | 'postgres';
  queue<T>(name: string): JobQueue<T>;
  worker<T>(name: string, processor: JobProcessor<T>, options?: WorkerTuning): JobWorker<T>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const HEALTH_QUEUE = 'health';
const READY_RETRY_MAX_MS = 5_000;

/**
 * BullMQ's PostgreSQL backend, except that a failed first connection is tried again. The library
 * remembers how its bootstrap went, failure included: a queue or worker created while the server
 * turned it away ("too many clients", "starting up") failed every call from then on, and a
 * worker's fetch loop, rejected without any I/O, spun and starved the event loop (no HTTP answer,
 * no heartbeat, for good). Here calls wait for the database, as they wait for Redis, until
 * `closing` aborts: a worker closes only once its fetch gives up.
 */
function retryingPostgresBackend(log: Logger, closing: AbortSignal): BackendFactory<PostgresQueueBackend, PostgresConnectionOptions> {
  return (name, opts, factoryOpts) => {
    const backend = createPostgresBackend(name, opts, factoryOpts);
    const connection = backend.connection;
    const bootstrap = connection.waitUntilReady.bind(connection);
    let ready: Promise<void> | null = null;
    connection.waitUntilReady = () =>
      (ready ??= (async () => {
        for (let attempt = 0; ; attempt += 1) {
          try {
            await bootstrap();
            return;
          } catch (error) {
            if (closing.aborted || connection.isClosing) throw error;
            // The rejection is memoized in a private field: clear it so the next call connects again.
            (connection as unknown as { readyPromise: Promise<void> | undefined }).readyPromise = undefined;
            const retryInMs = Math.min(READY_RETRY_MAX_MS, 250 * 2 ** attempt);
            log.warn({ err: error instanceof Error ? error.message : String(error), queue: name, retryInMs }, 'queue database not ready; retrying');
            await sleep(retryInMs, undefined, { signal: closing }).catch(() => undefined);
          }
        }
      })());
    return backend;
  };
}

export function openQueues({ redisUrl, postgresUrl, prefix = 'firebreak', log }: QueueSettings): Queues {
  const queues = new Map<string, JobQueue<unknown>>();
  const workers: JobWorker<unknown>[] = [];
  const redisClients: Redis[] = [];

  const newRedis = (url: string): Redis => {
    // BullMQ needs maxRetriesPerRequest null so blocking commands are not cut short.
    const client = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
    client.on('error', (error: Error) => log.warn({ err: error.message }, 'Redis connection error'));
    redisClients.push(client);
    return client;
  };
  const sharedRedis = redisUrl === null ? null : newRedis(redisUrl);
  // Schema names must be identifiers; the prefix is ours (never user input), so a simple mapping is enough.
  // The suffix keeps it from being named like a login role ("firebreak"), which `"$user"` would put first.
  const schema = `${prefix.replace(/[^a-z0-9_]/gi, '_')}_queue`;
  const pgConnection = { connectionString: postgresUrl, schema, migrate: true, max: 5 };
  const closing = new AbortController();
  const postgresBackend = retryingPostgresBackend(log, closing.signal);

  const queueFor = <T>(name: string): JobQueue<T> => {
    const existing = queues.get(name);
    if (existing) return existing as JobQueue<T>;
    const created = (
      sharedRedis
        ? new Queue<T>(name, { connection: sharedRedis, prefix })
        : new Queue<T, unknown, string, T, unknown, string, IQueueBackend, typeof pgConnection>(
            name,
            { connection: pgConnection },
            postgresBackend,
          )
    ) as JobQueue<T>;
    created.on('error', (error: Error) => log.warn({ err: error.message, queue: name }, 'queue error'));
    queues.set(name, created as JobQueue<unknown>);
    return created;
  };

  return {
    backend: redisUrl === null ? 'postgres' : 'redis',
    queue: queueFor,
    worker<T>(name: string, processor: JobProcessor<T>, options: WorkerTuning = {}) {
      const worker = (
        redisUrl !== null
          ? new Worker<T>(name, processor, { connection: newRedis(redisUrl), prefix, ...options })
          : new Worker<T, unknown, string, IQueueBackend, number, typeof pgConnection>(
              name,
              processor,
              { connection: pgConnection, ...options },
              postgresBackend,
            )
      ) as JobWorker<T>;
      worker.on('error', (error: Error) => log.warn({ err: error.message, queue: name }, 'worker error'));
      workers.push(worker as JobWorker<unknown>);
      return worker;
    },
    async ping() {
      await queueFor(HEALTH_QUEUE).getJobCounts('waiting');
    },
    async close() {
      closing.abort();
      await Promise.all(workers.map((worker) => worker.close()));
      await Promise.all([...queues.values()].map((queue) => queue.close()));
      await Promise.all(redisClients.map((client) => client.quit().catch(() => client.disconnect())));
    },
  };
}

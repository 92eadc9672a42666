// A bare queue worker process on BullMQ's PostgreSQL backend, for the test of a database that
// turns it away at first: "ready" once the worker exists, "tick" while its event loop turns,
// "done <n>" for each job it runs, "closed" once SIGTERM has closed its queues. Settings come
// from the environment.
import { createLogger } from '../../src/log.js';
import { openQueues } from '../../src/queue/queues.js';

const queues = openQueues({
  redisUrl: null,
  postgresUrl: process.env['QW_DATABASE_URL'] ?? '',
  prefix: process.env['QW_PREFIX'] ?? 'fbt_queue_worker',
  log: createLogger('silent'),
});
queues.worker<{ n: number }>('work', async (job) => {
  process.stdout.write(`done ${job.data.n}\n`);
});
setInterval(() => process.stdout.write('tick\n'), 100);
process.once('SIGTERM', () => {
  void queues.close().then(() => {
    process.stdout.write('closed\n');
    process.exit(0);
  });
});
process.stdout.write('ready\n');

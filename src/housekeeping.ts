import type pg from 'pg';
import type { Logger } from './log.js';
import type { Queues } from './queue/queues.js';
import { SeenEvents } from './store/seen-events.js';

export const HOUSEKEEPING_QUEUE = 'housekeeping';
export const PRUNE_SCHEDULER = 'prune-seen-events';
const HOUR_MS = 60 * 60 * 1000;
// Slack retries an event for about an hour at most; a day of ids is ample.
const KEEP_SEEN_EVENTS_MS = 24 * HOUR_MS;

/**
 * Hourly upkeep on the queue: every replica upserts the same scheduler id, so it runs once an
 * hour however many replicas there are.
 */
export async function startHousekeeping(queues: Queues, pool: pg.Pool, log: Logger): Promise<void> {
  const seen = new SeenEvents(pool);
  queues.worker(HOUSEKEEPING_QUEUE, async () => {
    const removed = await seen.prune(KEEP_SEEN_EVENTS_MS);
    if (removed > 0) log.info({ removed }, 'forgot old Slack event ids');
  });
  await queues
    .queue(HOUSEKEEPING_QUEUE)
    .upsertJobScheduler(PRUNE_SCHEDULER, { every: HOUR_MS }, { name: PRUNE_SCHEDULER, opts: { removeOnComplete: true, removeOnFail: 100 } });
}

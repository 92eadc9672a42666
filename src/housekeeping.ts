import type { Inbox } from './inbox/inbox.js';
import type { Logger } from './log.js';
import type { Queues } from './queue/queues.js';

export const HOUSEKEEPING_QUEUE = 'housekeeping';
export const PRUNE_SCHEDULER = 'prune-inbox';
const HOUR_MS = 60 * 60 * 1000;
// Slack retries a delivery for about an hour at most; a day of finished requests is ample.
const KEEP_FINISHED_MS = 24 * HOUR_MS;

/**
 * Hourly upkeep on the queue: every replica upserts the same scheduler id, so it runs once an
 * hour however many replicas there are.
 */
export async function startHousekeeping(queues: Queues, inbox: Inbox, log: Logger): Promise<void> {
  queues.worker(HOUSEKEEPING_QUEUE, async () => {
    const removed = await inbox.prune(KEEP_FINISHED_MS);
    if (removed > 0) log.info({ removed }, 'forgot finished Slack requests');
  });
  await queues
    .queue(HOUSEKEEPING_QUEUE)
    .upsertJobScheduler(PRUNE_SCHEDULER, { every: HOUR_MS }, { name: PRUNE_SCHEDULER, opts: { removeOnComplete: true, removeOnFail: 100 } });
}

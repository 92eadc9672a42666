import type { IncidentService } from './incidents/service.js';
import type { Inbox } from './inbox/inbox.js';
import type { Logger } from './log.js';
import type { Queues } from './queue/queues.js';

export const HOUSEKEEPING_QUEUE = 'housekeeping';
export const PRUNE_SCHEDULER = 'prune-inbox';
export const OPENINGS_SCHEDULER = 'reconcile-openings';
const FIVE_MINUTES_MS = 5 * 60 * 1000;
// An opening retried by the inbox finishes within minutes; one this old was abandoned.
const ABANDONED_AFTER_MS = 10 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
// Slack retries a delivery for about an hour at most; a day of finished requests is ample.
const KEEP_FINISHED_MS = 24 * HOUR_MS;

/**
 * Hourly upkeep on the queue: every replica upserts the same scheduler id, so it runs once an
 * hour however many replicas there are.
 */
export async function startHousekeeping(
  queues: Queues,
  deps: { inbox: Inbox; incidents: IncidentService; log: Logger },
): Promise<void> {
  const { inbox, incidents, log } = deps;
  queues.worker(HOUSEKEEPING_QUEUE, async (job) => {
    if (job.name === OPENINGS_SCHEDULER) {
      await incidents.reconcileOpenings(ABANDONED_AFTER_MS);
      return;
    }
    const removed = await inbox.prune(KEEP_FINISHED_MS);
    if (removed > 0) log.info({ removed }, 'forgot finished Slack requests');
  });
  const queue = queues.queue(HOUSEKEEPING_QUEUE);
  const opts = { removeOnComplete: true, removeOnFail: 100 };
  await queue.upsertJobScheduler(PRUNE_SCHEDULER, { every: HOUR_MS }, { name: PRUNE_SCHEDULER, opts });
  await queue.upsertJobScheduler(OPENINGS_SCHEDULER, { every: FIVE_MINUTES_MS }, { name: OPENINGS_SCHEDULER, opts });
}

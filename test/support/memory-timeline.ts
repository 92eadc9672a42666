import type { NewTimelineEvent, TimelineEvent } from '../../src/timeline/model.js';

/** A timeline row as the in-memory fakes keep it: with the request that recorded it. */
export type MemoryEvent = TimelineEvent & { requestId: string | null };

/**
 * `TimelineRepository.add` on an array: the row with the table's defaults, or null when its
 * request already recorded one (the unique request_id).
 */
export function recordEvent(events: MemoryEvent[], event: NewTimelineEvent): MemoryEvent | null {
  const requestId = event.requestId ?? null;
  if (requestId !== null && events.some((known) => known.requestId === requestId)) return null;
  const row: MemoryEvent = {
    typedTime: null,
    typedZone: null,
    zoneUsed: null,
    warnings: [],
    sourceTs: null,
    data: {},
    ...event,
    requestId,
    id: events.length + 1,
    recordedAt: new Date(),
  };
  events.push(row);
  return row;
}

import type { NewEffect } from '../../src/outbox/model.js';
import type { Queryable } from '../../src/store/queryable.js';
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
    ...eventDefaults(),
    ...event,
    requestId,
    id: events.length + 1,
    recordedAt: new Date(),
  };
  events.push(row);
  return row;
}

/** What a timeline row holds when nothing was typed, pinned or attached: the table's defaults. */
export function eventDefaults(): Pick<TimelineEvent, 'typedTime' | 'typedZone' | 'zoneUsed' | 'warnings' | 'sourceTs' | 'data'> {
  return { typedTime: null, typedZone: null, zoneUsed: null, warnings: [], sourceTs: null, data: {} };
}

/**
 * A transaction over in-memory state: `work` sees the records, and if it throws the state is put
 * back as it was, as PostgreSQL rolls back.
 */
export function memoryTransaction<S, R>(
  state: { get(): S; set(state: S): void; copy(state: S): S },
  records: () => R,
): <T>(work: (tx: R) => Promise<T>) => Promise<T> {
  return async (work) => {
    const before = state.copy(state.get());
    try {
      return await work(records());
    } catch (error) {
      state.set(before);
      throw error;
    }
  };
}

/** The outbox as a service sees it: an effect key is queued once; lanes woken after commit, in order. */
export function memoryEffects(effects: () => NewEffect[], woken: string[]) {
  return {
    add: async (_db: Queryable, ...added: NewEffect[]) => {
      for (const effect of added) {
        if (!effects().some((known) => known.key === effect.key)) effects().push(effect);
      }
    },
    wake: async (lanes: Iterable<string>) => {
      woken.push(...lanes);
    },
  };
}

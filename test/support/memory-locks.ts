import type { LocksRecords, LocksStore } from '../../src/locks/records.js';
import type { LockWatchRow } from '../../src/locks/watches.js';
import type { NewEffect } from '../../src/outbox/model.js';
import type { Queryable } from '../../src/store/queryable.js';
import { memoryEffects, memoryTransaction, recordEvent, type MemoryEvent } from './memory-timeline.js';

interface State {
  events: MemoryEvent[];
  watches: Map<string, LockWatchRow & { stopped: boolean }>;
  effects: NewEffect[];
}

function copy(state: State): State {
  return { events: [...state.events], watches: new Map(state.watches), effects: [...state.effects] };
}

// Never queried: the in-memory rows and effect sink ignore it, as a marker of "this transaction".
const NO_DATABASE = {} as Queryable;

/**
 * The rows of /locks and the effects it owes, in memory, with the rules of the SQL they stand
 * for (a request records one event, an effect key is queued once, a watch's picture is claimed by
 * compare-and-set, a transaction is all or nothing), so the flow's rules test without PostgreSQL.
 */
export class MemoryLocks {
  private state: State = { events: [], watches: new Map(), effects: [] };
  /** Incidents that are not open any more: their watches stop at the next round. */
  readonly closed = new Set<number>();
  /** Lanes woken after commit, in order. */
  readonly woken: string[] = [];

  readonly store: LocksStore = {
    ...this.records(),
    transaction: memoryTransaction({ get: () => this.state, set: (state) => (this.state = state), copy }, () => this.records()),
  };

  readonly effects = memoryEffects(() => this.state.effects, this.woken);

  get events(): readonly MemoryEvent[] {
    return this.state.events;
  }

  get addedEffects(): readonly NewEffect[] {
    return this.state.effects;
  }

  private records(): LocksRecords {
    const key = (incidentId: number, database: string) => `${incidentId}:${database}`;
    const running = () => [...this.state.watches.values()].filter((w) => !w.stopped);
    return {
      db: NO_DATABASE,
      events: { add: async (event) => recordEvent(this.state.events, event) },
      watches: {
        start: async (incidentId, database, channelId) => {
          const known = this.state.watches.get(key(incidentId, database));
          this.state.watches.set(key(incidentId, database), { incidentId, database, channelId: known?.channelId ?? channelId, lastKey: null, stopped: false });
        },
        stop: async (incidentId) => {
          const stopping = running().filter((w) => w.incidentId === incidentId);
          for (const w of stopping) this.state.watches.set(key(w.incidentId, w.database), { ...w, stopped: true });
          return stopping.length > 0;
        },
        stopClosed: async () => {
          for (const w of running()) if (this.closed.has(w.incidentId)) this.state.watches.set(key(w.incidentId, w.database), { ...w, stopped: true });
        },
        running: async () => running().map(({ stopped: _stopped, ...row }) => row),
        claim: async (watch, lastKey) => {
          const known = this.state.watches.get(key(watch.incidentId, watch.database));
          if (!known || known.stopped || known.lastKey !== watch.lastKey) return false;
          this.state.watches.set(key(watch.incidentId, watch.database), { ...known, lastKey });
          return true;
        },
      },
    };
  }
}

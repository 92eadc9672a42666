import type { EscalationRecords, EscalationStore } from '../../src/escalation/records.js';
import type { Escalation, NewPage, PageRow } from '../../src/escalation/repository.js';
import type { Queryable } from '../../src/store/queryable.js';
import { memoryTransaction, recordEvent, type MemoryEvent } from './memory-timeline.js';

interface State {
  escalations: Map<number, Escalation>;
  pages: PageRow[];
  events: MemoryEvent[];
}

function copy(state: State): State {
  return { escalations: new Map(state.escalations), pages: [...state.pages], events: [...state.events] };
}

// Never queried: the in-memory rows ignore it, as a marker of "this transaction".
const NO_DATABASE = {} as Queryable;

const samePage = (a: NewPage, b: NewPage): boolean =>
  a.incidentId === b.incidentId && a.generation === b.generation && a.loop === b.loop && a.tier === b.tier && a.userId === b.userId;

/**
 * Escalations, their pages and timeline rows in memory, with the rules of the SQL they stand
 * for (one escalation per incident, a page recorded once per step and person, only an active
 * plan stops or is claimed, a transaction is all or nothing), so the engine's own rules can be
 * tested without PostgreSQL. Locks are not modelled: these tests run one call at a time.
 */
export class MemoryEscalations {
  private state: State = { escalations: new Map(), pages: [], events: [] };
  /** The database's clock, which claiming due steps also goes by. */
  now: () => Date = () => new Date();

  readonly store: EscalationStore = {
    ...this.records(),
    transaction: memoryTransaction({ get: () => this.state, set: (state) => (this.state = state), copy }, () => this.records()),
    joining: () => this.records(),
  };

  get events(): readonly MemoryEvent[] {
    return this.state.events;
  }

  get pages(): readonly PageRow[] {
    return this.state.pages;
  }

  escalation(incidentId: number): Escalation | undefined {
    return this.state.escalations.get(incidentId);
  }

  private records(): EscalationRecords {
    const all = () => [...this.state.escalations.values()];
    const get = (id: number): Escalation => {
      const found = this.state.escalations.get(id);
      if (!found) throw new Error(`no escalation ${id}`);
      return found;
    };
    const put = (id: number, fields: Partial<Escalation>): Escalation => {
      const changed = { ...get(id), ...fields };
      this.state.escalations.set(id, changed);
      return changed;
    };
    return {
      db: NO_DATABASE,
      escalations: {
        create: async (e) => {
          if (this.state.escalations.has(e.incidentId)) return false;
          this.state.escalations.set(e.incidentId, { ...e, generation: 0, ackedBy: null, ackedAt: null, manualPages: 0 });
          return true;
        },
        get: async (id) => this.state.escalations.get(id) ?? null,
        advance: async (id, next, state, bump = false) => put(id, { next, state, generation: get(id).generation + (bump ? 1 : 0) }).generation,
        replan: async (id, snapshot, startedAt, next) =>
          put(id, { policy: snapshot.name, snapshot, startedAt, generation: get(id).generation + 1, state: next ? 'active' : 'done', next }).generation,
        ack: async (id, userId, at) => {
          put(id, { state: 'acked', ackedBy: userId, ackedAt: at, generation: get(id).generation + 1, next: null });
        },
        stop: async (id) => {
          if (this.state.escalations.get(id)?.state !== 'active') return false;
          put(id, { state: 'stopped', generation: get(id).generation + 1, next: null });
          return true;
        },
        nextManualPage: async (id) => put(id, { manualPages: get(id).manualPages + 1 }).manualPages,
        addPages: async (pages) => {
          const added: PageRow[] = [];
          for (const page of pages) {
            if (this.state.pages.some((known) => samePage(known, page))) continue;
            const row = { ...page, id: this.state.pages.length + 1 };
            this.state.pages.push(row);
            added.push(row);
          }
          return added;
        },
        pages: async (id) => this.state.pages.filter((p) => p.incidentId === id),
        claimDue: async (until, limit, skip = []) => {
          const by = Math.max(this.now().getTime(), until?.getTime() ?? 0);
          return all()
            .filter((e) => e.state === 'active' && e.next !== null && e.next.dueAt.getTime() <= by && !skip.includes(e.incidentId))
            .sort((a, b) => a.next!.dueAt.getTime() - b.next!.dueAt.getTime())
            .slice(0, limit);
        },
        lockFree: async (ids) => all().filter((e) => ids.includes(e.incidentId)).sort((a, b) => a.incidentId - b.incidentId),
        advanceAll: async (moves) => {
          for (const m of moves) put(m.incidentId, { next: m.next, state: m.next ? 'active' : 'done' });
        },
        countOverdue: async (at, limit) =>
          Math.min(limit, all().filter((e) => e.state === 'active' && e.next !== null && e.next.dueAt.getTime() <= at.getTime()).length),
      },
      events: {
        add: async (event) => recordEvent(this.state.events, event),
        addAll: async (events) => {
          for (const event of events) recordEvent(this.state.events, event);
        },
      },
    };
  }
}

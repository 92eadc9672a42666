import type { IncidentRecords, IncidentStore } from '../../src/incidents/records.js';
import type { Incident } from '../../src/incidents/model.js';
import type { IncidentChange, NewIncident } from '../../src/incidents/repository.js';
import type { NewEffect } from '../../src/outbox/model.js';
import type { Queryable } from '../../src/store/queryable.js';
import { memoryEffects, memoryTransaction, recordEvent, type MemoryEvent } from './memory-timeline.js';

interface State {
  incidents: Map<number, Incident>;
  requests: Map<string, number>;
  events: MemoryEvent[];
  effects: NewEffect[];
}

function copy(state: State): State {
  return {
    incidents: new Map([...state.incidents].map(([id, incident]) => [id, { ...incident, problems: [...incident.problems] }])),
    requests: new Map(state.requests),
    events: [...state.events],
    effects: [...state.effects],
  };
}

// Never queried: the in-memory rows and effect sink ignore it, as a marker of "this transaction".
const NO_DATABASE = {} as Queryable;

/**
 * Incidents, their timeline and the effects they owe, in memory, with the rules of the SQL they
 * stand for (a request opens one incident, only open incidents change, a transaction is all or
 * nothing), so the service's own rules can be tested without PostgreSQL.
 */
export class MemoryIncidents {
  private state: State = { incidents: new Map(), requests: new Map(), events: [], effects: [] };
  private nextId = 1;
  /** Lanes woken after commit, in order. */
  readonly woken: string[] = [];

  readonly store: IncidentStore = {
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

  incident(id: number): Incident | undefined {
    return this.state.incidents.get(id);
  }

  /** An incident that is already open in `channelId`, as if opened earlier. */
  seedOpen(fields: Partial<Incident> & { channelId: string }): Incident {
    const id = this.nextId++;
    const incident: Incident = {
      id,
      teamId: 'T1',
      title: 'Orders table locked',
      severity: 2,
      status: 'investigating',
      state: 'open',
      leadUserId: null,
      openedBy: 'U0AMINA01',
      openedAt: new Date('2023-07-23T09:04:00Z'),
      closedAt: null,
      closeSummary: null,
      originChannelId: null,
      channelName: `inc-${id}`,
      cardTs: null,
      problems: [],
      version: 1,
      ...fields,
    };
    this.state.incidents.set(id, incident);
    return incident;
  }

  private records(): IncidentRecords {
    const all = () => [...this.state.incidents.values()];
    const put = (incident: Incident) => {
      this.state.incidents.set(incident.id, incident);
      return incident;
    };
    const get = (id: number) => {
      const found = this.state.incidents.get(id);
      if (!found) throw new Error(`no incident ${id}`);
      return found;
    };
    return {
      db: NO_DATABASE,
      incidents: {
        create: async (input: NewIncident) => {
          const known = this.state.requests.get(input.requestId);
          if (known !== undefined) return { incident: get(known), created: false };
          const incident = put({
            id: this.nextId++,
            teamId: input.teamId,
            title: input.title,
            severity: input.severity,
            status: 'investigating',
            state: 'opening',
            leadUserId: null,
            openedBy: input.openedBy,
            openedAt: input.openedAt,
            closedAt: null,
            closeSummary: null,
            originChannelId: input.originChannelId,
            channelId: null,
            channelName: null,
            cardTs: null,
            problems: [],
            version: 1,
          });
          this.state.requests.set(input.requestId, incident.id);
          return { incident, created: true };
        },
        intendChannelName: async (id: number, channelName: string) => {
          put({ ...get(id), channelName });
        },
        attachChannel: async (id: number, channelId: string, channelName: string) =>
          put({ ...get(id), channelId, channelName, state: 'open' }),
        markFailed: async (id: number, problem: string) => {
          const incident = get(id);
          put({ ...incident, state: 'failed', problems: [...incident.problems, problem] });
        },
        abandonedOpenings: async () => all().filter((incident) => incident.state === 'opening'),
        byId: async (id: number) => this.state.incidents.get(id) ?? null,
        byChannel: async (channelId: string) => all().find((incident) => incident.channelId === channelId) ?? null,
        listOpen: async (teamId: string) => all().filter((incident) => incident.teamId === teamId && incident.state === 'open'),
        change: async (id: number, change: IncidentChange) => {
          const before = get(id);
          if (before.state !== 'open') return null;
          const changed: Incident = { ...before, version: before.version + 1 };
          if (change.kind === 'status') changed.status = change.status;
          if (change.kind === 'severity') changed.severity = change.severity;
          if (change.kind === 'lead') changed.leadUserId = change.userId;
          if (change.kind === 'close') {
            Object.assign(changed, { state: 'closed', status: 'resolved', closeSummary: change.summary, closedAt: change.at });
          }
          return { before, after: put(changed) };
        },
      },
      events: {
        add: async (event) => recordEvent(this.state.events, event),
        hasRequest: async (requestId: string) => this.state.events.some((event) => event.requestId === requestId),
      },
    };
  }
}

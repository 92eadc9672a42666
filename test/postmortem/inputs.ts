// Builders of postmortem input for the tests and the benchmark.
import type { PostmortemIncident, PostmortemInput, RenderSettings } from '../../src/postmortem/model.js';
import type { EventKind, TimelineEvent } from '../../src/timeline/model.js';
import { eventDefaults } from '../support/memory-timeline.js';

export function incident(overrides: Partial<PostmortemIncident> = {}): PostmortemIncident {
  return {
    id: 7,
    title: 'Database lock',
    severity: 2,
    leadUserId: 'ULEAD',
    openedAt: new Date('2023-07-23T09:34:00Z'),
    closedAt: new Date('2023-07-23T11:21:00Z'),
    closeSummary: null,
    channelId: 'C0INC',
    channelName: 'inc-20230723-database-lock',
    teamId: 'T0TEAM',
    ...overrides,
  };
}

let nextId = 1;
export function event(kind: EventKind, occurredAt: Date, text: string, overrides: Partial<TimelineEvent> = {}): TimelineEvent {
  return {
    id: nextId++,
    incidentId: 7,
    occurredAt,
    recordedAt: occurredAt,
    kind,
    authorId: 'UOPS',
    text,
    ...eventDefaults(),
    ...overrides,
  };
}

export const settings = (overrides: Partial<RenderSettings> = {}): RenderSettings => ({
  zone: 'Africa/Nairobi',
  clock: '24h',
  workspaceUrl: 'https://acme.slack.com',
  userNames: {},
  ...overrides,
});

export function input(overrides: Partial<PostmortemInput> = {}): PostmortemInput {
  return {
    incident: incident(),
    events: [],
    messages: [],
    pages: [],
    acks: [],
    snapshots: [],
    actions: [],
    settings: settings(),
    ...overrides,
  };
}

/** The seed's contention as `/locks` stores it: an idle-in-transaction root, writers and an ALTER queued. */
export const seedSnapshotData = {
  database: 'main',
  at: '2023-07-23T10:10:00.000Z',
  blockedTotal: 12,
  roots: [
    {
      pid: 4242,
      user: 'app',
      application: 'checkout-api',
      state: 'idle in transaction',
      inStateMs: 1_260_000,
      xactAgeMs: 1_300_000,
      holds: [{ relation: 'public.orders', mode: 'RowExclusiveLock' }],
      blocksTotal: 12,
      waiters: [
        { count: 10, wait: 'row (0,2) of public.orders', mode: 'ShareLock' },
        { count: 1, wait: 'transaction of pid 4242', mode: 'ShareLock' },
        { count: 1, wait: 'relation public.orders (ALTER TABLE)', mode: 'AccessExclusiveLock' },
      ],
    },
  ],
  suggestions: [],
};

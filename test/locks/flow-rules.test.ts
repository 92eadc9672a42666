import { beforeEach, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/common/context.js';
import { LocksFlow } from '../../src/locks/flow.js';
import { renderDiagnosis, snapshotSummary } from '../../src/locks/render.js';
import type { LocksInspection } from '../../src/locks/service.js';
import { buildForest } from '../../src/locks/tree.js';
import { LocksWatch } from '../../src/locks/watch.js';
import type { NewEffect } from '../../src/outbox/model.js';
import type { Queryable } from '../../src/store/queryable.js';
import { MemoryLocks } from '../support/memory-locks.js';
import { hotRow } from './fixture.js';

// /locks with its rows in memory and the inspected database scripted: no PostgreSQL at all.

const DBA = 'U0DBA0001';
const INCIDENT = { id: 7, title: 'Orders table locked', channelId: 'C0INC' };
let sequence = 0;

function ctx(channelId: string): CommandContext {
  sequence += 1;
  return { teamId: 'T1', userId: DBA, channelId, receivedAt: new Date('2026-03-02T10:00:00Z'), requestId: `req-${sequence}` };
}

/** A root idle in transaction with `writers` sessions queued behind it. */
function inspection(writers: number): LocksInspection {
  const row = hotRow(writers);
  const forest = buildForest(row);
  const diagnosis = { kind: 'ok' as const, forest, row, elapsedMs: 3 };
  return { database: 'main', diagnosis, rendered: renderDiagnosis(diagnosis, 'main', 'redacted'), snapshot: snapshotSummary(forest, 'main', 'redacted') };
}

let memory: MemoryLocks;
let picture: LocksInspection;
let refuse: boolean;
let flow: LocksFlow;
let watch: LocksWatch;

beforeEach(() => {
  memory = new MemoryLocks();
  picture = inspection(3);
  refuse = false;
  const locks = {
    databaseNames: () => ['main'],
    resolve: (name: string | undefined) => name ?? 'main',
    inspect: async () => picture,
    act: async () => ({ kind: 'refused' as const, why: 'not in this test' }),
  };
  const incidents = { byChannel: async (channelId: string) => (channelId === INCIDENT.channelId ? INCIDENT : null) };
  const effects = {
    add: async (db: Queryable, ...added: NewEffect[]) => {
      if (refuse) throw new Error('outbox unavailable');
      await memory.effects.add(db, ...added);
    },
    wake: memory.effects.wake,
  };
  watch = new LocksWatch({ store: memory.store, locks, incidents, effects });
  flow = new LocksFlow({ store: memory.store, locks, watch, incidents, effects });
});

describe('/locks', () => {
  it('posts the picture in a channel that is no incident, and records no timeline event', async () => {
    const request = ctx('C0GENERAL');
    expect((await flow.command(request, 'main')).text).toBe('Posted the lock picture of main in this channel.');
    expect(memory.addedEffects.map((e) => [e.kind, e.lane, e.key])).toEqual([['slack.post', 'C0GENERAL', `locks:${request.requestId}`]]);
    expect(memory.events).toEqual([]);
    expect(memory.woken).toEqual(['C0GENERAL']);
  });

  it('in an incident channel records one lock snapshot with the post, once however often Slack redelivers', async () => {
    const request = ctx(INCIDENT.channelId);
    expect((await flow.command(request, 'main')).text).toBe('Posted the lock picture of main in this channel and added it to the timeline.');
    await flow.command(request, 'main');

    expect(memory.events.map((e) => [e.kind, e.incidentId, e.authorId])).toEqual([['lock_snapshot', INCIDENT.id, DBA]]);
    expect(memory.events[0]?.text).toBe('Lock snapshot of main: 3 sessions waiting; pid 1 (idle in transaction 7m02s) blocking 3.');
    expect(memory.addedEffects.map((e) => [e.key, e.incidentId])).toEqual([[`locks:${request.requestId}`, INCIDENT.id]]);
  });

  it('keeps no snapshot when its post cannot be queued, so the retry records both', async () => {
    const request = ctx(INCIDENT.channelId);
    refuse = true;
    await expect(flow.command(request, 'main')).rejects.toThrow('outbox unavailable');
    expect(memory.events).toEqual([]);
    expect(memory.woken).toEqual([]);

    refuse = false;
    await flow.command(request, 'main');
    expect(memory.events).toHaveLength(1);
    expect(memory.addedEffects).toHaveLength(1);
  });
});

describe('/locks watch', () => {
  it('posts a new picture only when the roots or their counts change, and stops once the incident closes', async () => {
    await flow.command(ctx(INCIDENT.channelId), 'watch');
    const at = (minute: number) => new Date(Date.UTC(2026, 2, 2, 10, minute));

    await watch.tick(at(1));
    await watch.tick(at(2));
    expect(memory.addedEffects).toHaveLength(1);

    picture = inspection(5);
    await watch.tick(at(3));
    expect(memory.events.map((e) => e.text.replace(/;.*/, ''))).toEqual(['Watch: Lock snapshot of main: 3 sessions waiting', 'Watch: Lock snapshot of main: 5 sessions waiting']);

    memory.closed.add(INCIDENT.id);
    picture = inspection(4);
    await watch.tick(at(4));
    expect(memory.addedEffects).toHaveLength(2);
    expect((await flow.command(ctx(INCIDENT.channelId), 'watch stop')).text).toBe('Nothing was being watched for this incident.');
  });
});

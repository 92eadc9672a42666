import { beforeEach, describe, expect, it } from 'vitest';
import { EscalationEngine, STEP_QUEUE, type WakeJob } from '../../src/escalation/engine.js';
import type { PageEffect, PageOutbox } from '../../src/escalation/ports.js';
import type { EscalationSettings } from '../../src/escalation/settings.js';
import { createLogger } from '../../src/log.js';
import type { Queues } from '../../src/queue/queues.js';
import { MemoryEscalations } from '../support/memory-escalations.js';

// The engine's rules with its rows in memory and the queue and outbox recorded: no database, no Redis.

const NOAH = 'U0NOAH001';
const LEAD = 'U0LEAD001';
const AMINA = 'U0AMINA01';
const T0 = new Date('2023-07-23T09:04:00Z');
const minutes = (n: number): Date => new Date(T0.getTime() + n * 60_000);

const settings: EscalationSettings = {
  defaultPolicy: 'standard',
  bySeverity: { 1: 'urgent', 2: 'standard' },
  policies: {
    urgent: { repeat: 0, tiers: [{ afterMs: 0, notify: [NOAH] }, { afterMs: 5 * 60_000, notify: [LEAD] }], webhook: null },
    standard: { repeat: 0, tiers: [{ afterMs: 15 * 60_000, notify: [AMINA] }], webhook: null },
  },
  rotations: {},
};

let memory: MemoryEscalations;
let clock: Date;
/** When each queued wake-up is due. */
let wakes: Date[];
let effects: PageEffect[];
let acked: number;
let engine: EscalationEngine;

beforeEach(() => {
  memory = new MemoryEscalations();
  clock = T0;
  memory.now = () => clock;
  wakes = [];
  effects = [];
  acked = 0;
  const outbox: PageOutbox = {
    add: async (_db, added) => {
      effects.push(...added);
    },
    wake: async () => undefined,
  };
  // Only the calls the engine makes outside run(): a wake-up job per due instant.
  const queues = {
    queue: (name: string) => ({
      add: async (_job: string, data: WakeJob) => {
        if (name === STEP_QUEUE && data.dueAt !== undefined) wakes.push(new Date(data.dueAt));
      },
      addBulk: async () => [],
    }),
  } as unknown as Queues;
  engine = new EscalationEngine({
    store: memory.store,
    queues,
    outbox,
    usergroupMembers: async () => [],
    settings,
    log: createLogger('silent'),
    metrics: { acked: () => (acked += 1), pagesSent: () => undefined, pageLateness: () => undefined, overdue: () => undefined },
    now: () => clock,
  });
});

describe('paging', () => {
  it('pages a due tier once, however often it is swept, and moves the plan to the next tier', async () => {
    expect(await engine.start(1, 1, T0)).toEqual({ policy: 'urgent', started: true });
    expect(wakes).toEqual([T0]);

    clock = minutes(1);
    await engine.sweep();
    await engine.sweep();
    expect(memory.pages.map((p) => p.userId)).toEqual([NOAH]);
    expect(effects.map((e) => e.kind)).toEqual(['page']);
    expect(memory.events.map((e) => e.text)).toEqual([`Paged <@${NOAH}> (tier 1)`]);
    expect(memory.escalation(1)?.next).toEqual({ loop: 0, tier: 1, dueAt: minutes(5) });
    expect(wakes).toEqual([T0, minutes(5)]);
  });
});

describe('acknowledging', () => {
  it('answers a second ack with the first acker and when, recording one ack and paging no further tier', async () => {
    await engine.start(1, 1, T0);
    clock = minutes(1);
    await engine.sweep();

    expect(await engine.ack(1, NOAH, minutes(2), 'button')).toEqual({ status: 'acked', at: minutes(2) });
    expect(await engine.ack(1, LEAD, minutes(3), 'command')).toEqual({ status: 'already', by: NOAH, at: minutes(2) });

    expect(memory.events.filter((e) => e.kind === 'ack').map((e) => e.text)).toEqual([`<@${NOAH}> acknowledged`]);
    // The page already sent is re-rendered as acknowledged, once.
    expect(effects.map((e) => `${e.kind}:${e.userId}`)).toEqual([`page:${NOAH}`, `page_update:${NOAH}`]);
    expect(acked).toBe(1);

    clock = minutes(10);
    await engine.sweep();
    expect(memory.pages.map((p) => p.userId)).toEqual([NOAH]);
  });

  it('says an incident without an escalation is not paging anyone', async () => {
    expect(await engine.ack(7, NOAH, T0, 'command')).toEqual({ status: 'not-paging' });
  });
});

describe('changing severity', () => {
  it('starts an unanswered escalation over on the new policy from the change, in a new generation', async () => {
    await engine.start(1, 2, T0);
    expect(memory.escalation(1)).toMatchObject({ policy: 'standard', generation: 0, next: { loop: 0, tier: 0, dueAt: minutes(15) } });

    expect(await engine.changeSeverity(1, 1, minutes(2))).toBe(true);
    expect(memory.escalation(1)).toMatchObject({ policy: 'urgent', generation: 1, startedAt: minutes(2), next: { loop: 0, tier: 0, dueAt: minutes(2) } });
    expect(wakes.at(-1)).toEqual(minutes(2));

    // The same policy again: nothing to re-plan.
    expect(await engine.changeSeverity(1, 1, minutes(3))).toBe(false);
    expect(memory.escalation(1)?.generation).toBe(1);
  });

  it('leaves an acknowledged escalation alone', async () => {
    await engine.start(1, 1, T0);
    await engine.ack(1, NOAH, minutes(1), 'command');
    const before = memory.escalation(1);

    expect(await engine.changeSeverity(1, 2, minutes(2))).toBe(false);
    expect(memory.escalation(1)).toEqual(before);
  });
});

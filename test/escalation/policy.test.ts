import { describe, expect, it } from 'vitest';
import { dueAt, firstStep, nextStep, snapshotPolicy, type PolicySnapshot } from '../../src/escalation/policy.js';
import type { EscalationSettings } from '../../src/escalation/settings.js';

const snapshot: PolicySnapshot = {
  name: 'primary',
  repeat: 1,
  tiers: [
    { afterMs: 0, notify: ['UA1'] },
    { afterMs: 300_000, notify: ['UB2'] },
    { afterMs: 900_000, notify: ['SG1'] },
  ],
  webhook: null,
  rotations: {},
};
const start = new Date('2026-03-29T00:30:00Z');
const minutes = (step: { loop: number; tier: number }): number => (dueAt(snapshot, start, step).getTime() - start.getTime()) / 60_000;

describe('escalation schedule', () => {
  it('measures after from the start, and starts each repeat after the last tier', () => {
    expect(minutes({ loop: 0, tier: 0 })).toBe(0);
    expect(minutes({ loop: 0, tier: 1 })).toBe(5);
    expect(minutes({ loop: 0, tier: 2 })).toBe(15);
    expect(minutes({ loop: 1, tier: 0 })).toBe(15);
    expect(minutes({ loop: 1, tier: 1 })).toBe(20);
    expect(minutes({ loop: 1, tier: 2 })).toBe(30);
  });

  it('walks tiers, then loops, then stops', () => {
    const steps = [];
    for (let s = firstStep(snapshot); s; s = nextStep(snapshot, s)) steps.push(`${s.loop}/${s.tier}`);
    expect(steps).toEqual(['0/0', '0/1', '0/2', '1/0', '1/1', '1/2']);
  });

  it('has no first step for a policy that pages nobody', () => {
    expect(firstStep({ ...snapshot, tiers: [], repeat: 0 })).toBeNull();
  });

  it('refuses a step outside the policy', () => {
    expect(() => dueAt(snapshot, start, { loop: 2, tier: 0 })).toThrow(RangeError);
  });

  it('snapshots the policy with the rotations it names, detached from the settings', () => {
    const settings: EscalationSettings = {
      defaultPolicy: 'p',
      bySeverity: {},
      policies: { p: { repeat: 0, tiers: [{ afterMs: 0, notify: ['rotation:dba', 'UA1'] }], webhook: null } },
      rotations: {
        dba: { users: ['UD1'], start: { year: 2026, month: 1, day: 5, hour: 9, minute: 0, second: 0 }, zone: 'Europe/Berlin', lengthDays: 7, overrides: [] },
        other: { users: ['UO1'], start: { year: 2026, month: 1, day: 5, hour: 9, minute: 0, second: 0 }, zone: 'UTC', lengthDays: 1, overrides: [] },
      },
    };
    const snap = snapshotPolicy(settings, 'p');
    expect(Object.keys(snap.rotations)).toEqual(['dba']);
    settings.policies['p']!.tiers[0]!.notify.push('UX1');
    expect(snap.tiers[0]!.notify).toEqual(['rotation:dba', 'UA1']);
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
  });
});

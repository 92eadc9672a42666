import { describe, expect, it } from 'vitest';
import { nextHandoff, onCallAt } from '../../src/escalation/rotation.js';
import { wallMs, type Rotation } from '../../src/escalation/settings.js';

const berlin = (y: number, mo: number, d: number, h: number, mi = 0): number =>
  wallMs({ year: y, month: mo, day: d, hour: h, minute: mi, second: 0 }, 'Europe/Berlin');

function rotation(partial: Partial<Rotation>): Rotation {
  return {
    users: ['UA1', 'UB2', 'UC3'],
    start: { year: 2026, month: 3, day: 23, hour: 9, minute: 0, second: 0 },
    zone: 'Europe/Berlin',
    lengthDays: 7,
    overrides: [],
    ...partial,
  };
}

const at = (iso: string): Date => new Date(iso);

describe('who is on call', () => {
  it('hands off at 09:00 Berlin on both sides of the March change (08:00Z before, 07:00Z after)', () => {
    const r = rotation({});
    expect(onCallAt(r, at('2026-03-23T07:59:59Z')).user).toBe('UC3');
    expect(onCallAt(r, at('2026-03-23T08:00:00Z')).user).toBe('UA1');
    expect(onCallAt(r, at('2026-03-30T06:59:59Z')).user).toBe('UA1');
    expect(onCallAt(r, at('2026-03-30T07:00:00Z')).user).toBe('UB2');
    expect(nextHandoff(r, at('2026-03-25T12:00:00Z'))).toEqual({ at: at('2026-03-30T07:00:00Z'), next: { user: 'UB2', override: false } });
  });

  it('hands off at 09:00 Berlin on both sides of the October change (07:00Z before, 08:00Z after)', () => {
    const r = rotation({ start: { year: 2026, month: 10, day: 19, hour: 9, minute: 0, second: 0 } });
    expect(onCallAt(r, at('2026-10-19T07:00:00Z')).user).toBe('UA1');
    expect(onCallAt(r, at('2026-10-26T07:30:00Z')).user).toBe('UA1');
    expect(onCallAt(r, at('2026-10-26T08:00:00Z')).user).toBe('UB2');
    expect(nextHandoff(r, at('2026-10-20T00:00:00Z')).at).toEqual(at('2026-10-26T08:00:00Z'));
  });

  it('keeps a daily rotation on its wall time through the spring-forward night, and many turns later', () => {
    const r = rotation({ lengthDays: 1, start: { year: 2026, month: 3, day: 27, hour: 9, minute: 0, second: 0 } });
    expect(nextHandoff(r, at('2026-03-28T10:00:00Z')).at.getTime()).toBe(berlin(2026, 3, 29, 9));
    expect(berlin(2026, 3, 29, 9)).toBe(Date.parse('2026-03-29T07:00:00Z'));
    expect(onCallAt(r, at('2026-03-29T06:59:00Z')).user).toBe('UB2');
    expect(onCallAt(r, at('2026-03-29T07:00:00Z')).user).toBe('UC3');
    // 300 days later (two changes crossed) the turn still falls at 09:00 local.
    expect(onCallAt(r, new Date(berlin(2027, 1, 21, 9) - 1000)).user).toBe(onCallAt(r, at('2027-01-20T12:00:00Z')).user);
    expect(nextHandoff(r, at('2027-01-20T12:00:00Z')).at.getTime()).toBe(Date.parse('2027-01-21T08:00:00Z'));
  });

  it('reads a hand-off that falls in the DST gap as the moment after the jump', () => {
    const r = rotation({ lengthDays: 1, start: { year: 2026, month: 3, day: 28, hour: 2, minute: 30, second: 0 } });
    expect(nextHandoff(r, at('2026-03-28T12:00:00Z')).at).toEqual(at('2026-03-29T01:30:00Z'));
    expect(nextHandoff(r, at('2026-03-29T12:00:00Z')).at).toEqual(at('2026-03-30T00:30:00Z'));
  });

  it('lets an override win for its range and says when it ends', () => {
    const r = rotation({ overrides: [{ user: 'UZ9', fromMs: berlin(2026, 3, 24, 18), toMs: berlin(2026, 3, 25, 9) }] });
    expect(onCallAt(r, new Date(berlin(2026, 3, 24, 17)))).toEqual({ user: 'UA1', override: false });
    expect(onCallAt(r, new Date(berlin(2026, 3, 24, 18)))).toEqual({ user: 'UZ9', override: true });
    expect(onCallAt(r, new Date(berlin(2026, 3, 25, 9)))).toEqual({ user: 'UA1', override: false });
    expect(nextHandoff(r, new Date(berlin(2026, 3, 24, 12)))).toEqual({ at: new Date(berlin(2026, 3, 24, 18)), next: { user: 'UZ9', override: true } });
    expect(nextHandoff(r, new Date(berlin(2026, 3, 24, 20))).at.getTime()).toBe(berlin(2026, 3, 25, 9));
  });

  it('skips an override edge where the same person stays on call', () => {
    const r = rotation({ overrides: [{ user: 'UA1', fromMs: berlin(2026, 3, 24, 18), toMs: berlin(2026, 3, 25, 9) }] });
    expect(nextHandoff(r, new Date(berlin(2026, 3, 24, 12)))).toEqual({ at: new Date(berlin(2026, 3, 30, 9)), next: { user: 'UB2', override: false } });
  });

  it('runs the order backwards before the start, so a tier is never empty', () => {
    const r = rotation({});
    expect(onCallAt(r, new Date(berlin(2026, 3, 20, 12))).user).toBe('UC3');
    expect(onCallAt(r, new Date(berlin(2026, 3, 12, 12))).user).toBe('UB2');
    expect(nextHandoff(r, new Date(berlin(2026, 3, 20, 12))).at.getTime()).toBe(berlin(2026, 3, 23, 9));
  });
});

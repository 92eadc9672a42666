import { describe, expect, it } from 'vitest';
import { isIanaZone, looksLikeIanaName, resolveZoneToken, wallClock, zoneOffsetMs } from '../../src/time/zones.js';

describe('isIanaZone', () => {
  it.each(['Africa/Nairobi', 'America/New_York', 'Asia/Kolkata', 'Asia/Calcutta', 'Europe/Kyiv', 'UTC', 'Etc/UTC', 'Etc/GMT-3', 'America/Argentina/Buenos_Aires'])(
    'accepts %s',
    (name) => expect(isIanaZone(name)).toBe(true),
  );

  it.each(['EST', 'BST', 'IST', 'GMT', 'EST5EDT', 'utc', 'africa/nairobi', 'AFRICA/NAIROBI', 'asia/kolkata', 'Africa/Nairobbi', '', 'Z'])(
    'rejects %s',
    (name) => expect(isIanaZone(name)).toBe(false),
  );
});

describe('looksLikeIanaName', () => {
  it.each([
    ['Afirca/Nairobi', true],
    ['africa/nairobi', true],
    ['America/NewYork', true],
    ['read/write', false],
    ['DB/cache', false],
    ['DB/Cache', false],
    ['1/2', false],
  ])('%s → %s', (word, want) => expect(looksLikeIanaName(word)).toBe(want));
});

describe('resolveZoneToken', () => {
  it('resolves IANA names, fixing their case', () => {
    expect(resolveZoneToken('Africa/Nairobi', {})).toEqual({ kind: 'iana', zone: 'Africa/Nairobi' });
    expect(resolveZoneToken('africa/nairobi', {})).toEqual({ kind: 'iana', zone: 'Africa/Nairobi' });
    expect(resolveZoneToken('UTC', {})).toEqual({ kind: 'iana', zone: 'UTC' });
  });

  it.each([
    ['EAT', 'Africa/Nairobi'],
    ['eat', 'Africa/Nairobi'],
    ['Z', 'UTC'],
    ['GMT', 'UTC'],
    ['utc', 'UTC'],
    ['CET', 'Europe/Berlin'],
    ['CEST', 'Europe/Berlin'],
    ['PST', 'America/Los_Angeles'],
    ['PDT', 'America/Los_Angeles'],
    ['MST', 'America/Denver'],
    ['EST', 'America/New_York'],
    ['EDT', 'America/New_York'],
    ['JST', 'Asia/Tokyo'],
    ['AEST', 'Australia/Sydney'],
    ['NZDT', 'Pacific/Auckland'],
  ])('built-in alias %s → %s', (token, zone) => {
    expect(resolveZoneToken(token, {})).toEqual({ kind: 'alias', zone, alias: token.toUpperCase() });
  });

  it.each(['IST', 'CST', 'BST', 'AST', 'ECT', 'ist'])('refuses the ambiguous %s with a hint', (token) => {
    const r = resolveZoneToken(token, {});
    expect(r.kind).toBe('ambiguous');
    if (r.kind === 'ambiguous') expect(r.message).toMatch(/is ambiguous \(.+\): write an IANA name such as \S+\/\S+, or ask an admin to add it under zone_aliases/);
  });

  it('says exactly what IST means', () => {
    const r = resolveZoneToken('IST', {});
    expect(r.kind === 'ambiguous' && r.message).toBe(
      'IST is ambiguous (India, Ireland, Israel): write an IANA name such as Asia/Kolkata, or ask an admin to add it under zone_aliases',
    );
  });

  it('lets configured aliases settle ambiguity and override built-ins, case-insensitively', () => {
    expect(resolveZoneToken('IST', { IST: 'Asia/Kolkata' })).toEqual({ kind: 'alias', zone: 'Asia/Kolkata', alias: 'IST' });
    expect(resolveZoneToken('ist', { IST: 'Asia/Kolkata' })).toEqual({ kind: 'alias', zone: 'Asia/Kolkata', alias: 'IST' });
    expect(resolveZoneToken('CET', { cet: 'Europe/Paris' })).toEqual({ kind: 'alias', zone: 'Europe/Paris', alias: 'CET' });
  });

  it('ignores configured aliases with an invalid target', () => {
    expect(resolveZoneToken('EAT', { EAT: 'Nowhere/Land' })).toEqual({ kind: 'alias', zone: 'Africa/Nairobi', alias: 'EAT' });
  });

  it.each(['XYZ', 'Africa/Nairobbi', '', 'EST5EDT'])('does not know %s', (token) => {
    expect(resolveZoneToken(token, {})).toEqual({ kind: 'unknown' });
  });
});

describe('wallClock and zoneOffsetMs', () => {
  it('reads the wall clock and offset in a zone', () => {
    const t = new Date('2024-07-15T21:30:00Z');
    expect(wallClock(t, 'Africa/Nairobi')).toEqual({ year: 2024, month: 7, day: 16, hour: 0, minute: 30, second: 0 });
    expect(zoneOffsetMs(t, 'Africa/Nairobi')).toBe(3 * 3_600_000);
    expect(zoneOffsetMs(t, 'America/St_Johns')).toBe(-2.5 * 3_600_000);
  });
});

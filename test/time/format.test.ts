import { describe, expect, it } from 'vitest';
import { formatDuration, formatInstant, formatOffset, slackDateToken, zoneAbbreviation } from '../../src/time/format.js';

const JAN = new Date('2024-01-15T12:00:00Z');
const JUL = new Date('2024-07-15T12:00:00Z');

describe('zoneAbbreviation', () => {
  it.each([
    ['Africa/Nairobi', 'EAT', 'EAT'],
    ['America/New_York', 'EST', 'EDT'],
    ['America/Los_Angeles', 'PST', 'PDT'],
    ['America/Chicago', 'UTC-6', 'CDT'],
    ['America/Phoenix', 'MST', 'UTC-7'],
    ['Europe/Berlin', 'CET', 'CEST'],
    ['Europe/Paris', 'CET', 'CEST'],
    ['Europe/London', 'GMT', 'UTC+1'],
    ['Europe/Dublin', 'GMT', 'UTC+1'],
    ['Asia/Kolkata', 'UTC+05:30', 'UTC+05:30'],
    ['Asia/Calcutta', 'UTC+05:30', 'UTC+05:30'],
    ['Asia/Tokyo', 'JST', 'JST'],
    ['Australia/Sydney', 'AEDT', 'AEST'],
    ['Pacific/Auckland', 'NZDT', 'NZST'],
    ['UTC', 'UTC', 'UTC'],
    ['Asia/Kathmandu', 'UTC+05:45', 'UTC+05:45'],
    ['Etc/GMT-3', 'UTC+3', 'UTC+3'],
    ['UTC+05:30', 'UTC+05:30', 'UTC+05:30'],
    ['America/St_Johns', 'UTC-03:30', 'NDT'],
    ['America/Bogota', 'UTC-5', 'UTC-5'],
    ['America/Regina', 'UTC-6', 'UTC-6'],
    // Names the parser would refuse as ambiguous (CST, IST, BST, NST) or read as another offset
    // (MST is Denver, on MDT in July) are written as offsets, so a pasted time reads back.
  ])('%s: %s in January, %s in July', (zone, jan, jul) => {
    expect(zoneAbbreviation(JAN, zone)).toBe(jan);
    expect(zoneAbbreviation(JUL, zone)).toBe(jul);
  });

  it('switches exactly at the DST transition', () => {
    // New York springs forward at 2024-03-10 07:00Z.
    expect(zoneAbbreviation(new Date('2024-03-10T06:59:59Z'), 'America/New_York')).toBe('EST');
    expect(zoneAbbreviation(new Date('2024-03-10T07:00:00Z'), 'America/New_York')).toBe('EDT');
    // Berlin falls back at 2024-10-27 01:00Z.
    expect(zoneAbbreviation(new Date('2024-10-27T00:59:59Z'), 'Europe/Berlin')).toBe('CEST');
    expect(zoneAbbreviation(new Date('2024-10-27T01:00:00Z'), 'Europe/Berlin')).toBe('CET');
  });

  it('falls back to the offset when a curated name does not fit the historical offset', () => {
    // Nairobi was UTC+02:30 in 1930, not EAT.
    expect(zoneAbbreviation(new Date('1930-06-01T00:00:00Z'), 'Africa/Nairobi')).toBe('UTC+02:30');
  });
});

describe('formatOffset', () => {
  it.each([
    ['Africa/Nairobi', JUL, '+03:00'],
    ['America/New_York', JUL, '-04:00'],
    ['America/New_York', JAN, '-05:00'],
    ['Asia/Kathmandu', JUL, '+05:45'],
    ['America/St_Johns', JAN, '-03:30'],
    ['UTC', JUL, '+00:00'],
  ])('%s at %s is %s', (zone, at, want) => {
    expect(formatOffset(at, zone)).toBe(want);
  });
});

describe('formatInstant', () => {
  const T = new Date('2023-07-23T10:17:00Z'); // 13:17 EAT

  it('defaults to an ISO date and 24-hour time with the abbreviation', () => {
    expect(formatInstant(T, 'Africa/Nairobi')).toBe('2023-07-23 13:17 EAT');
  });

  it('writes the long 12-hour form', () => {
    expect(formatInstant(T, 'Africa/Nairobi', { date: 'long', clock: '12h' })).toBe('July 23, 2023, 1:17 PM EAT');
    expect(formatInstant(T, 'Africa/Nairobi', { date: 'long' })).toBe('July 23, 2023, 13:17 EAT');
  });

  it('writes the time alone and with seconds', () => {
    expect(formatInstant(T, 'Africa/Nairobi', { date: 'none' })).toBe('13:17 EAT');
    expect(formatInstant(new Date('2023-07-23T10:17:05Z'), 'Africa/Nairobi', { seconds: true })).toBe('2023-07-23 13:17:05 EAT');
  });

  it('crosses the date line into the zone’s own calendar day', () => {
    expect(formatInstant(new Date('2024-07-15T23:30:00Z'), 'Australia/Sydney')).toBe('2024-07-16 09:30 AEST');
    expect(formatInstant(new Date('2024-01-01T02:00:00Z'), 'America/Los_Angeles')).toBe('2023-12-31 18:00 PST');
  });

  it('gets midnight and noon right on the 12-hour clock', () => {
    expect(formatInstant(new Date('2024-07-14T21:05:00Z'), 'Africa/Nairobi', { clock: '12h' })).toBe('2024-07-15 12:05 AM EAT');
    expect(formatInstant(new Date('2024-07-15T09:05:00Z'), 'Africa/Nairobi', { clock: '12h' })).toBe('2024-07-15 12:05 PM EAT');
    expect(formatInstant(new Date('2024-07-14T21:05:00Z'), 'Africa/Nairobi')).toBe('2024-07-15 00:05 EAT');
  });

  it('never writes an hour above 12 with AM/PM, for any hour of the day', () => {
    for (let h = 0; h < 24; h += 1) {
      const at = new Date(Date.UTC(2023, 6, 23, h, 17));
      const twelve = formatInstant(at, 'Africa/Nairobi', { clock: '12h' });
      const twentyFour = formatInstant(at, 'Africa/Nairobi');
      expect(twelve).toMatch(/ (1[0-2]|[1-9]):17 (AM|PM) EAT$/);
      expect(twentyFour).toMatch(/ ([01]\d|2[0-3]):17 EAT$/);
      expect(twelve + twentyFour).not.toMatch(/(1[3-9]|2\d):\d\d ?(am|pm)/i);
    }
  });

  it('shows abbreviations on both sides of a DST change', () => {
    expect(formatInstant(new Date('2024-11-03T05:30:00Z'), 'America/New_York')).toBe('2024-11-03 01:30 EDT');
    expect(formatInstant(new Date('2024-11-03T06:30:00Z'), 'America/New_York')).toBe('2024-11-03 01:30 EST');
    expect(formatInstant(new Date('2024-03-31T01:30:00Z'), 'Europe/Berlin')).toBe('2024-03-31 03:30 CEST');
  });

  it('does not depend on the process TZ', () => {
    const saved = process.env.TZ;
    try {
      const out = ['UTC', 'America/New_York', 'Australia/Sydney'].map((tz) => {
        process.env.TZ = tz;
        return [
          formatInstant(T, 'Africa/Nairobi', { date: 'long', clock: '12h' }),
          formatInstant(new Date('2024-11-03T06:30:00Z'), 'America/New_York'),
          zoneAbbreviation(JAN, 'Europe/London'),
        ].join('|');
      });
      expect(new Set(out).size).toBe(1);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});

describe('slackDateToken', () => {
  const T = new Date('2023-07-23T10:17:00Z');

  it('has Slack’s shape with a fallback in the given zone', () => {
    expect(slackDateToken(T, 'Africa/Nairobi')).toBe('<!date^1690107420^{date_short_pretty} {time}|2023-07-23 13:17 EAT>');
  });

  it('takes a custom format and uses whole seconds', () => {
    expect(slackDateToken(new Date('2023-07-23T10:17:00.900Z'), 'UTC', '{time}')).toBe('<!date^1690107420^{time}|2023-07-23 10:17 UTC>');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [185_000, '3m 05s'],
    [180_000, '3m'],
    [(60 + 47) * 60_000, '1h 47m'],
    [(60 + 47) * 60_000 + 59_000, '1h 47m'],
    [65 * 60_000, '1h 05m'],
    [3_600_000, '1h'],
    [(2 * 24 + 4) * 3_600_000 + 30 * 60_000, '2d 4h'],
    [3 * 86_400_000, '3d'],
    [-90_000, '-1m 30s'],
    [999, '1s'],
  ])('%d ms is %s', (ms, want) => {
    expect(formatDuration(ms)).toBe(want);
  });

  it('refuses non-finite input', () => {
    expect(() => formatDuration(Number.NaN)).toThrow(RangeError);
  });
});

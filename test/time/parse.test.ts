import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLeadingTime, wallClockToInstants, type ParseContext, type ParseResult } from '../../src/time/parse.js';

// 2024-07-15T12:00Z is 15:00 EAT (Nairobi, the user's zone) and 14:00 CEST (Berlin, the team's).
const NOW = new Date('2024-07-15T12:00:00Z');
const BASE: ParseContext = { now: NOW, userZone: 'Africa/Nairobi', teamZone: 'Europe/Berlin', aliases: {} };

type Expected =
  | {
      at: string;
      zone: string;
      source: 'explicit' | 'alias' | 'user' | 'team';
      rest: string;
      typed?: string;
      warnings?: string[];
    }
  | { error: string }
  | { text: true };

interface Case {
  input: string;
  ctx?: Partial<ParseContext>;
  want: Expected;
}

const NBO = 'Africa/Nairobi';
const user = (at: string, rest: string, extra: { typed?: string; warnings?: string[] } = {}): Expected => ({
  at,
  zone: NBO,
  source: 'user',
  rest,
  ...extra,
});
const PM_WARNING = (typed: string, hm: string): string => `“${typed}” read as ${hm} (24-hour time with pm).`;

const CASES: Case[] = [
  // 12-hour forms
  { input: '12:34pm users reported slowness', want: user('2024-07-15T09:34:00Z', 'users reported slowness', { typed: '12:34pm' }) },
  { input: '12:34 pm users reported slowness', want: user('2024-07-15T09:34:00Z', 'users reported slowness', { typed: '12:34 pm' }) },
  { input: '12:34 p.m. users reported slowness', want: user('2024-07-15T09:34:00Z', 'users reported slowness', { typed: '12:34 p.m.' }) },
  { input: '12:34PM  users', want: user('2024-07-15T09:34:00Z', 'users', { typed: '12:34PM' }) },
  { input: '3pm deploy started', want: user('2024-07-15T12:00:00Z', 'deploy started', { typed: '3pm' }) },
  { input: '3 pm deploy started', want: user('2024-07-15T12:00:00Z', 'deploy started', { typed: '3 pm' }) },
  { input: '4pm deploy started', want: user('2024-07-14T13:00:00Z', 'deploy started') },
  { input: '12:34am night batch', want: user('2024-07-14T21:34:00Z', 'night batch') },
  { input: '12am midnight job', want: user('2024-07-14T21:00:00Z', 'midnight job') },
  { input: '12:00pm noon deploy', want: user('2024-07-15T09:00:00Z', 'noon deploy') },
  { input: '9:05 a.m. - pager fired', want: user('2024-07-15T06:05:00Z', 'pager fired', { typed: '9:05 a.m.' }) },
  {
    input: '13:17pm root cause found',
    want: user('2024-07-15T10:17:00Z', 'root cause found', { warnings: [PM_WARNING('13:17pm', '13:17')] }),
  },
  // 24-hour forms, "latest such moment not after now"
  { input: '13:17 DB failover', want: user('2024-07-15T10:17:00Z', 'DB failover', { typed: '13:17' }) },
  { input: '13:17:05 DB failover', want: user('2024-07-15T10:17:05Z', 'DB failover', { typed: '13:17:05' }) },
  { input: '23:50 late alert', want: user('2024-07-14T20:50:00Z', 'late alert') },
  { input: '15:00 exactly now', want: user('2024-07-15T12:00:00Z', 'exactly now') },
  { input: '15:00:30 within the clock-skew grace', want: user('2024-07-15T12:00:30Z', 'within the clock-skew grace') },
  { input: '15:02 two minutes ahead', want: user('2024-07-14T12:02:00Z', 'two minutes ahead') },
  { input: '0:05 just after midnight', want: user('2024-07-14T21:05:00Z', 'just after midnight') },
  // separators
  { input: '13:17: colon', want: user('2024-07-15T10:17:00Z', 'colon', { typed: '13:17' }) },
  { input: '13:17 - dash', want: user('2024-07-15T10:17:00Z', 'dash') },
  { input: '13:17 — em dash', want: user('2024-07-15T10:17:00Z', 'em dash') },
  { input: '13:17, comma', want: user('2024-07-15T10:17:00Z', 'comma') },
  { input: '   13:17    spaced   out  ', want: user('2024-07-15T10:17:00Z', 'spaced   out') },
  { input: '- 12:34pm: pasted bullet', want: user('2024-07-15T09:34:00Z', 'pasted bullet', { typed: '12:34pm' }) },
  // zones
  {
    input: '12:34pm EAT: users',
    want: { at: '2024-07-15T09:34:00Z', zone: NBO, source: 'alias', rest: 'users', typed: '12:34pm EAT' },
  },
  {
    input: '13:17 Africa/Nairobi - failover',
    want: { at: '2024-07-15T10:17:00Z', zone: NBO, source: 'explicit', rest: 'failover', typed: '13:17 Africa/Nairobi' },
  },
  {
    input: '13:17 Europe/Berlin failover',
    want: { at: '2024-07-15T11:17:00Z', zone: 'Europe/Berlin', source: 'explicit', rest: 'failover' },
  },
  {
    input: '13:17 (EAT) parenthesised',
    want: { at: '2024-07-15T10:17:00Z', zone: NBO, source: 'alias', rest: 'parenthesised', typed: '13:17 (EAT)' },
  },
  { input: '10:00 UTC x', want: { at: '2024-07-15T10:00:00Z', zone: 'UTC', source: 'explicit', rest: 'x' } },
  { input: '10:00 GMT x', want: { at: '2024-07-15T10:00:00Z', zone: 'UTC', source: 'alias', rest: 'x' } },
  { input: '10:00 utc: lower case with separator', want: { at: '2024-07-15T10:00:00Z', zone: 'UTC', source: 'alias', rest: 'lower case with separator' } },
  { input: '10:00 eat lunch', want: user('2024-07-15T07:00:00Z', 'eat lunch', { typed: '10:00' }) },
  { input: '10:00 JST x', want: { at: '2024-07-15T01:00:00Z', zone: 'Asia/Tokyo', source: 'alias', rest: 'x' } },
  { input: '12:34 PDT x', want: { at: '2024-07-14T19:34:00Z', zone: 'America/Los_Angeles', source: 'alias', rest: 'x' } },
  {
    input: '12:34 PST x',
    want: {
      at: '2024-07-14T19:34:00Z',
      zone: 'America/Los_Angeles',
      source: 'alias',
      rest: 'x',
      warnings: ['“PST” read as America/Los_Angeles, which is on PDT on 2024-07-14.'],
    },
  },
  {
    input: '10:00 CET x',
    want: {
      at: '2024-07-15T08:00:00Z',
      zone: 'Europe/Berlin',
      source: 'alias',
      rest: 'x',
      warnings: ['“CET” read as Europe/Berlin, which is on CEST on 2024-07-15.'],
    },
  },
  {
    input: '10:00 (EST) x',
    want: {
      at: '2024-07-14T14:00:00Z',
      zone: 'America/New_York',
      source: 'alias',
      rest: 'x',
      warnings: ['“EST” read as America/New_York, which is on EDT on 2024-07-14.'],
    },
  },
  {
    input: '10:00 IST x',
    ctx: { aliases: { IST: 'Asia/Kolkata' } },
    want: { at: '2024-07-15T04:30:00Z', zone: 'Asia/Kolkata', source: 'alias', rest: 'x' },
  },
  {
    input: '10:00 ist: configured aliases are case-insensitive',
    ctx: { aliases: { IST: 'Asia/Kolkata' } },
    want: { at: '2024-07-15T04:30:00Z', zone: 'Asia/Kolkata', source: 'alias', rest: 'configured aliases are case-insensitive' },
  },
  {
    input: '10:00 EAT configured alias overrides the built-in',
    ctx: { aliases: { EAT: 'Africa/Kampala' } },
    want: { at: '2024-07-15T07:00:00Z', zone: 'Africa/Kampala', source: 'alias', rest: 'configured alias overrides the built-in' },
  },
  { input: '13:17 UTC+3 offset', want: { at: '2024-07-15T10:17:00Z', zone: 'Etc/GMT-3', source: 'explicit', rest: 'offset' } },
  // in a DST overlap the abbreviation says which of the two readings is meant
  { input: '2023-11-05 01:30 EDT x', want: { at: '2023-11-05T05:30:00Z', zone: 'America/New_York', source: 'alias', rest: 'x' } },
  { input: '2023-11-05 01:30 EST x', want: { at: '2023-11-05T06:30:00Z', zone: 'America/New_York', source: 'alias', rest: 'x' } },
  // offsets with minutes
  { input: '12:34 UTC+5:30 x', want: { at: '2024-07-15T07:04:00Z', zone: 'UTC+05:30', source: 'explicit', rest: 'x' } },
  { input: '12:34 UTC+05:45 x', want: { at: '2024-07-15T06:49:00Z', zone: 'UTC+05:45', source: 'explicit', rest: 'x' } },
  { input: '08:34 GMT-3 x', want: { at: '2024-07-15T11:34:00Z', zone: 'Etc/GMT+3', source: 'explicit', rest: 'x', typed: '08:34 GMT-3' } },
  { input: '08:04 UTC-03:30: x', want: { at: '2024-07-15T11:34:00Z', zone: 'UTC-03:30', source: 'explicit', rest: 'x' } },
  { input: '12:34 +05:45 x', want: { at: '2024-07-15T06:49:00Z', zone: 'UTC+05:45', source: 'explicit', rest: 'x', typed: '12:34 +05:45' } },
  { input: '08:34 -03:00: x', want: { at: '2024-07-15T11:34:00Z', zone: 'Etc/GMT+3', source: 'explicit', rest: 'x' } },
  {
    input: '2023-07-23T12:34+05:30 from the app log',
    want: { at: '2023-07-23T07:04:00Z', zone: 'UTC+05:30', source: 'explicit', rest: 'from the app log', typed: '2023-07-23T12:34+05:30' },
  },
  {
    input: '12:34 pm EAT. Users reported slowness',
    want: { at: '2024-07-15T09:34:00Z', zone: NBO, source: 'alias', rest: 'Users reported slowness', typed: '12:34 pm EAT' },
  },
  {
    input: '2023-07-23T12:34:56.789Z from a log line',
    want: { at: '2023-07-23T12:34:56Z', zone: 'UTC', source: 'alias', rest: 'from a log line' },
  },
  // ordinary words after a time stay text
  { input: '13:17 read/write errors', want: user('2024-07-15T10:17:00Z', 'read/write errors', { typed: '13:17' }) },
  { input: '13:17 GET requests failing', want: user('2024-07-15T10:17:00Z', 'GET requests failing') },
  { input: '13:17 DBA: paging', want: user('2024-07-15T10:17:00Z', 'DBA: paging') },
  { input: '13:17 API errors', want: user('2024-07-15T10:17:00Z', 'API errors') },
  { input: '13:17 EAST region failover', want: user('2024-07-15T10:17:00Z', 'EAST region failover') },
  // zone fallback
  {
    input: '13:17 no user zone',
    ctx: { userZone: null },
    want: { at: '2024-07-15T11:17:00Z', zone: 'Europe/Berlin', source: 'team', rest: 'no user zone' },
  },
  {
    input: '13:17 bad user zone',
    ctx: { userZone: 'Not/A_Zone' },
    want: { at: '2024-07-15T11:17:00Z', zone: 'Europe/Berlin', source: 'team', rest: 'bad user zone' },
  },
  // dates
  {
    input: '2023-07-23 12:34 EAT users',
    want: { at: '2023-07-23T09:34:00Z', zone: NBO, source: 'alias', rest: 'users', typed: '2023-07-23 12:34 EAT' },
  },
  { input: '2023-07-23T12:34 users', want: user('2023-07-23T09:34:00Z', 'users', { typed: '2023-07-23T12:34' }) },
  {
    input: '2023-07-23T12:34+03:00 from the app log',
    want: { at: '2023-07-23T09:34:00Z', zone: 'Etc/GMT-3', source: 'explicit', rest: 'from the app log', typed: '2023-07-23T12:34+03:00' },
  },
  { input: '2023-07-23T05:34:10-0400: from syslog', want: { at: '2023-07-23T09:34:10Z', zone: 'Etc/GMT+4', source: 'explicit', rest: 'from syslog' } },
  { input: '2023-07-23 12:34+00:00 db restarted', want: { at: '2023-07-23T12:34:00Z', zone: 'UTC', source: 'explicit', rest: 'db restarted' } },
  {
    input: '2023-07-23T12:34Z users',
    want: { at: '2023-07-23T12:34:00Z', zone: 'UTC', source: 'alias', rest: 'users', typed: '2023-07-23T12:34Z' },
  },
  {
    input: '2023-07-23 12:34 Africa/Nairobi: users',
    want: { at: '2023-07-23T09:34:00Z', zone: NBO, source: 'explicit', rest: 'users' },
  },
  { input: 'July 23, 2023 12:34pm users', want: user('2023-07-23T09:34:00Z', 'users', { typed: 'July 23, 2023 12:34pm' }) },
  { input: 'July 23, 2023, 12:34pm: users', want: user('2023-07-23T09:34:00Z', 'users', { typed: 'July 23, 2023, 12:34pm' }) },
  { input: 'Jul 23 2023 12:34 users', want: user('2023-07-23T09:34:00Z', 'users', { typed: 'Jul 23 2023 12:34' }) },
  { input: '23 July 2023 12:34 users', want: user('2023-07-23T09:34:00Z', 'users', { typed: '23 July 2023 12:34' }) },
  { input: '23 Jul 2023, 12:34 users', want: user('2023-07-23T09:34:00Z', 'users') },
  { input: 'Sept 1, 2023 at 10:00 rollout', want: user('2023-09-01T07:00:00Z', 'rollout') },
  { input: 'July 23 12:34 no year means the latest past one', want: user('2023-07-23T09:34:00Z', 'no year means the latest past one') },
  { input: 'July 10 12:34 no year, this year', want: user('2024-07-10T09:34:00Z', 'no year, this year') },
  { input: '2024-02-29 10:00 leap day', want: user('2024-02-29T07:00:00Z', 'leap day') },
  { input: 'yesterday 23:50 users', want: user('2024-07-14T20:50:00Z', 'users', { typed: 'yesterday 23:50' }) },
  { input: 'today 09:00 users', want: user('2024-07-15T06:00:00Z', 'users', { typed: 'today 09:00' }) },
  { input: 'Today at 9am users', want: user('2024-07-15T06:00:00Z', 'users', { typed: 'Today at 9am' }) },
  // relative
  { input: '10 minutes ago users', want: user('2024-07-15T11:50:00Z', 'users', { typed: '10 minutes ago' }) },
  { input: '10 min ago: users', want: user('2024-07-15T11:50:00Z', 'users', { typed: '10 min ago' }) },
  { input: '2h ago users', want: user('2024-07-15T10:00:00Z', 'users', { typed: '2h ago' }) },
  { input: '1 hour ago users', want: user('2024-07-15T11:00:00Z', 'users') },
  { input: 'an hour ago users', want: user('2024-07-15T11:00:00Z', 'users') },
  { input: '1h 30m ago users', want: user('2024-07-15T10:30:00Z', 'users', { typed: '1h 30m ago' }) },
  {
    input: '10 minutes ago with no user zone',
    ctx: { userZone: null },
    want: { at: '2024-07-15T11:50:00Z', zone: 'Europe/Berlin', source: 'team', rest: 'with no user zone' },
  },
  { input: 'now: users', want: user('2024-07-15T12:00:00Z', 'users', { typed: 'now' }) },
  { input: 'Now - users', want: user('2024-07-15T12:00:00Z', 'users', { typed: 'Now' }) },
  // DST (now is after all of these)
  {
    input: '2024-03-10 02:30 America/New_York gap',
    want: {
      at: '2024-03-10T07:30:00Z',
      zone: 'America/New_York',
      source: 'explicit',
      rest: 'gap',
      warnings: ['02:30 does not exist on 2024-03-10 in America/New_York (clocks jumped forward); used 03:30 EDT.'],
    },
  },
  {
    input: '2024-03-31 02:30 Europe/Berlin gap',
    want: {
      at: '2024-03-31T01:30:00Z',
      zone: 'Europe/Berlin',
      source: 'explicit',
      rest: 'gap',
      warnings: ['02:30 does not exist on 2024-03-31 in Europe/Berlin (clocks jumped forward); used 03:30 CEST.'],
    },
  },
  {
    input: '2024-11-03 01:30 America/New_York overlap',
    ctx: { now: new Date('2025-01-01T00:00:00Z') },
    want: {
      at: '2024-11-03T05:30:00Z',
      zone: 'America/New_York',
      source: 'explicit',
      rest: 'overlap',
      warnings: ['01:30 happened twice on 2024-11-03 in America/New_York (clocks went back); used the first, 01:30 EDT (05:30 UTC).'],
    },
  },
  {
    input: '2024-10-27 02:30 Europe/Berlin overlap',
    ctx: { now: new Date('2025-01-01T00:00:00Z') },
    want: {
      at: '2024-10-27T00:30:00Z',
      zone: 'Europe/Berlin',
      source: 'explicit',
      rest: 'overlap',
      warnings: ['02:30 happened twice on 2024-10-27 in Europe/Berlin (clocks went back); used the first, 02:30 CEST (00:30 UTC).'],
    },
  },
  // not a leading time: the whole text is the note
  { input: '500 errors on checkout', want: { text: true } },
  { input: '2 replicas down', want: { text: true } },
  { input: '3 users reported', want: { text: true } },
  { input: 'May 3 replicas went down', want: { text: true } },
  { input: "yesterday's deploy broke it", want: { text: true } },
  { input: 'now seeing recovery', want: { text: true } },
  { input: '13:17-13:30 outage window', want: { text: true } },
  { input: '10 more minutes to recover', want: { text: true } },
  // errors
  { input: '12:34pm', want: { error: 'a note needs text after the time' } },
  { input: '12:34pm EAT:', want: { error: 'a note needs text after the time “12:34pm EAT”' } },
  { input: '25:99 x', want: { error: '“25:99” is not a valid time: the hour must be 00 to 23' } },
  { input: '24:01 x', want: { error: '“24:01” is not a valid time' } },
  { input: '12:60 x', want: { error: 'minutes go from 00 to 59' } },
  { input: '2023-02-30 10:00 x', want: { error: '“2023-02-30” is not a valid date: February 2023 has 28 days' } },
  { input: '2023-02-29 10:00 x', want: { error: 'February 2023 has 28 days' } },
  { input: '2023-13-01 10:00 x', want: { error: 'there is no month 13' } },
  { input: 'February 30, 2023 10:00 x', want: { error: '“February 30, 2023” is not a valid date' } },
  { input: '0:30pm x', want: { error: 'a 12-hour clock has no hour 0' } },
  { input: '13:17am x', want: { error: '“13:17am” contradicts itself' } },
  { input: '2024-07-16 10:00 tomorrow', want: { error: 'that is in the future' } },
  { input: 'today 23:00 later today', want: { error: 'that is in the future' } },
  { input: '40 days ago x', want: { error: 'too far back to be plausible' } },
  { input: '50000 minutes ago x', want: { error: 'too far back to be plausible' } },
  { input: '2023-07-23 a date without a time', want: { error: '“2023-07-23” needs a time' } },
  { input: 'July 23, 2023: a date without a time', want: { error: 'needs a time' } },
  { input: '10:00 IST x', want: { error: 'IST is ambiguous (India, Ireland, Israel)' } },
  { input: '10:00 CST x', want: { error: 'CST is ambiguous' } },
  { input: '10:00 BST x', want: { error: 'BST is ambiguous' } },
  { input: '10:00 AST x', want: { error: 'AST is ambiguous' } },
  { input: '10:00 XYZT x', want: { error: 'unknown time zone “XYZT”' } },
  { input: '10:00 Africa/Nairobbi x', want: { error: 'unknown time zone “Africa/Nairobbi”' } },
  { input: '10:00 (XYZ) x', want: { error: 'unknown time zone “XYZ”' } },
  { input: '13:17 UTC+15 x', want: { error: '“UTC+15” is not a UTC offset' } },
  { input: '13:17 UTC-13 x', want: { error: '“UTC-13” is not a UTC offset' } },
  { input: '13:17 UTC+05:75 x', want: { error: '“UTC+05:75” is not a UTC offset' } },
  { input: '2023-07-23T12:34+15:00 x', want: { error: '“+15:00” is not a UTC offset' } },
];

function run(c: Case): ParseResult {
  return parseLeadingTime(c.input, { ...BASE, ...c.ctx });
}

function check(c: Case, r: ParseResult): void {
  const w = c.want;
  if ('error' in w) {
    expect(r.ok, JSON.stringify(r)).toBe(false);
    if (!r.ok) {
      expect(r.error).toContain(w.error);
      expect(r.hint.length).toBeGreaterThan(10);
    }
    return;
  }
  expect(r.ok, JSON.stringify(r)).toBe(true);
  if (!r.ok) return;
  if ('text' in w) {
    expect(r.time).toBeNull();
    expect(r.rest).toBe(c.input.trim());
    return;
  }
  expect(r.time).not.toBeNull();
  const t = r.time;
  if (t === null) return;
  expect(t.instant.toISOString()).toBe(new Date(w.at).toISOString());
  expect(t.zone).toBe(w.zone);
  expect(t.zoneSource).toBe(w.source);
  expect(r.rest).toBe(w.rest);
  expect(t.warnings).toEqual(w.warnings ?? []);
  if (w.typed !== undefined) expect(t.typed).toBe(w.typed);
}

const PROCESS_ZONES = ['UTC', 'America/New_York', 'Australia/Sydney'] as const;

describe('parseLeadingTime table', () => {
  it('has at least 60 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
  });

  for (const tz of PROCESS_ZONES) {
    describe(`with process TZ=${tz}`, () => {
      const saved = process.env.TZ;
      beforeAll(() => {
        process.env.TZ = tz;
      });
      afterAll(() => {
        if (saved === undefined) delete process.env.TZ;
        else process.env.TZ = saved;
      });

      it('really runs in that zone', () => {
        const expected = { UTC: 0, 'America/New_York': 240, 'Australia/Sydney': -600 }[tz];
        expect(new Date('2024-07-15T12:00:00Z').getTimezoneOffset()).toBe(expected);
      });

      it.each(CASES.map((c) => [c.input, c] as const))('%s', (_input, c) => {
        check(c, run(c));
      });
    });
  }

  it('gives identical results under every process TZ', () => {
    const saved = process.env.TZ;
    try {
      const outputs = PROCESS_ZONES.map((tz) => {
        process.env.TZ = tz;
        return JSON.stringify(CASES.map(run));
      });
      expect(outputs[1]).toBe(outputs[0]);
      expect(outputs[2]).toBe(outputs[0]);
    } finally {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    }
  });
});

describe('DST around "now" for times without a date', () => {
  const ny = (now: string): ParseContext => ({ ...BASE, now: new Date(now), userZone: 'America/New_York' });

  it('takes the second 01:30 when both have happened (latest not after now)', () => {
    const r = parseLeadingTime('01:30 restart', ny('2024-11-03T06:45:00Z')); // 01:45 EST
    expect(r.ok && r.time?.instant.toISOString()).toBe('2024-11-03T06:30:00.000Z');
    expect(r.ok && r.time?.warnings).toEqual([
      '01:30 happened twice on 2024-11-03 in America/New_York (clocks went back); used the second, 01:30 EST (06:30 UTC).',
    ]);
  });

  it('takes the first 01:30 when the second has not happened yet', () => {
    const r = parseLeadingTime('01:30 restart', ny('2024-11-03T05:45:00Z')); // 01:45 EDT
    expect(r.ok && r.time?.instant.toISOString()).toBe('2024-11-03T05:30:00.000Z');
    expect(r.ok && r.time?.warnings[0]).toContain('used the first, 01:30 EDT (05:30 UTC)');
  });

  it('moves a time in the gap forward', () => {
    const r = parseLeadingTime('02:30 restart', ny('2024-03-10T08:00:00Z')); // 04:00 EDT
    expect(r.ok && r.time?.instant.toISOString()).toBe('2024-03-10T07:30:00.000Z');
    expect(r.ok && r.time?.warnings[0]).toContain('used 03:30 EDT');
  });

  it('an explicit overlap date takes the first occurrence even when both are past', () => {
    const r = parseLeadingTime('2024-11-03 01:30 restart', ny('2024-11-03T07:00:00Z'));
    expect(r.ok && r.time?.instant.toISOString()).toBe('2024-11-03T05:30:00.000Z');
  });
});

describe('wallClockToInstants', () => {
  const wall = (s: string) => {
    const [d, t] = s.split(' ') as [string, string];
    const [year, month, day] = d.split('-').map(Number) as [number, number, number];
    const [hour, minute] = t.split(':').map(Number) as [number, number];
    return { year, month, day, hour, minute, second: 0 };
  };
  const iso = (s: string, zone: string) => wallClockToInstants(wall(s), zone).map((r) => new Date(r.instant).toISOString());

  it('normal, gap and overlap in New York and Berlin', () => {
    expect(iso('2024-07-15 12:00', 'America/New_York')).toEqual(['2024-07-15T16:00:00.000Z']);
    expect(iso('2024-03-10 02:30', 'America/New_York')).toEqual(['2024-03-10T07:30:00.000Z']);
    expect(iso('2024-03-10 03:30', 'America/New_York')).toEqual(['2024-03-10T07:30:00.000Z']);
    expect(iso('2024-11-03 01:30', 'America/New_York')).toEqual(['2024-11-03T05:30:00.000Z', '2024-11-03T06:30:00.000Z']);
    expect(iso('2024-03-31 02:30', 'Europe/Berlin')).toEqual(['2024-03-31T01:30:00.000Z']);
    expect(iso('2024-10-27 02:30', 'Europe/Berlin')).toEqual(['2024-10-27T00:30:00.000Z', '2024-10-27T01:30:00.000Z']);
  });

  it('southern hemisphere and half-hour zones', () => {
    // Sydney: clocks go forward on 2024-10-06 at 02:00, back on 2024-04-07 at 03:00.
    expect(iso('2024-10-06 02:30', 'Australia/Sydney')).toEqual(['2024-10-05T16:30:00.000Z']); // = 03:30 AEDT
    expect(iso('2024-04-07 02:30', 'Australia/Sydney')).toEqual(['2024-04-06T15:30:00.000Z', '2024-04-06T16:30:00.000Z']);
    expect(iso('2024-07-15 10:00', 'Asia/Kolkata')).toEqual(['2024-07-15T04:30:00.000Z']);
  });
});

describe('the seed postmortem timeline (EAT)', () => {
  // Copied verbatim from the seed postmortem (test/fixtures/seed-postmortem.md), bullets included.
  const LINES = [
    '- July 23, 2023, 12:34pm: Incident identified - Users reported slow website/application performance and errors.',
    '* July 23, 2023, 12:37pm: Initial investigation initiated - IT Operations team identified the issue as a database lock.',
    '+ July 23, 2023, 12:55pm: Incident escalated to the Database Administration team for further analysis and resolution.',
    '- July 23, 2023  13:17pm: Root cause identified - Concurrent write operations leading to lock contention.',
    '* July 23, 2023  13:23pm: Immediate mitigation actions implemented - Adjusted query optimization, increased database resources, and optimized locking strategy.',
    '+ July 23, 2023  13:51pm: Website performance gradually restored - User reports of slow performance and errors decreased.',
    '- July 23, 2023  14:21pm: Incident resolved - Normal website/application functionality and performance restored.',
  ];
  const EXPECTED: [string, string, string | null][] = [
    ['2023-07-23T09:34:00.000Z', 'Incident identified - Users reported slow website/application performance and errors.', null],
    ['2023-07-23T09:37:00.000Z', 'Initial investigation initiated - IT Operations team identified the issue as a database lock.', null],
    ['2023-07-23T09:55:00.000Z', 'Incident escalated to the Database Administration team for further analysis and resolution.', null],
    ['2023-07-23T10:17:00.000Z', 'Root cause identified - Concurrent write operations leading to lock contention.', '13:17pm'],
    [
      '2023-07-23T10:23:00.000Z',
      'Immediate mitigation actions implemented - Adjusted query optimization, increased database resources, and optimized locking strategy.',
      '13:23pm',
    ],
    ['2023-07-23T10:51:00.000Z', 'Website performance gradually restored - User reports of slow performance and errors decreased.', '13:51pm'],
    ['2023-07-23T11:21:00.000Z', 'Incident resolved - Normal website/application functionality and performance restored.', '14:21pm'],
  ];
  const ctx: ParseContext = {
    now: new Date('2023-07-24T00:00:00Z'),
    userZone: 'Africa/Nairobi',
    teamZone: 'Africa/Nairobi',
    aliases: {},
  };

  it.each(LINES.map((line, i) => [line, i] as const))('%s', (line, i) => {
    const [at, rest, pm] = EXPECTED[i] as [string, string, string | null];
    for (const text of [line, line.slice(2)]) {
      const r = parseLeadingTime(text, ctx);
      expect(r.ok).toBe(true);
      if (!r.ok || r.time === null) throw new Error(`no time in ${text}`);
      expect(r.time.instant.toISOString()).toBe(at);
      expect(r.time.zone).toBe('Africa/Nairobi');
      expect(r.time.zoneSource).toBe('user');
      expect(r.rest).toBe(rest);
      expect(r.time.typed).toBe(line.slice(2, line.indexOf('m:') + 1));
      expect(r.time.warnings).toEqual(pm === null ? [] : [PM_WARNING(pm, pm.slice(0, 5))]);
    }
  });
});

describe('context validation', () => {
  it('refuses a team zone that is not IANA', () => {
    expect(() => parseLeadingTime('13:17 x', { ...BASE, teamZone: 'EAT' })).toThrow(RangeError);
  });

  it('returns plain text untouched', () => {
    expect(parseLeadingTime('  DB failover  ', BASE)).toEqual({ ok: true, time: null, rest: 'DB failover' });
  });

  it('records the zone token as typed', () => {
    const r = parseLeadingTime('13:17 est: x', BASE);
    expect(r.ok && r.time?.zoneToken).toBe('est');
    const plain = parseLeadingTime('13:17 x', BASE);
    expect(plain.ok && plain.time?.zoneToken).toBeNull();
  });
});

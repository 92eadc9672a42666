// Reads the time a person typed at the start of a note ("12:34pm EAT: users reported …")
// and turns it into an instant. Pure: the caller supplies `now` and the zones, and nothing
// depends on the process `TZ` (all wall-clock work goes through Intl with explicit zones).
import { formatInstant, zoneAbbreviation } from './format.js';
import {
  fixedOffsetZone,
  isIanaZone,
  looksLikeIanaName,
  resolveZoneToken,
  wallClock,
  wallToUtcMs,
  zoneOffsetMs,
  type WallClock,
} from './zones.js';

export interface ParseContext {
  /** The instant the command was received. */
  now: Date;
  /** Typing user's Slack tz (IANA), if known. */
  userZone: string | null;
  /** Configured timezone (IANA). */
  teamZone: string;
  aliases: Readonly<Record<string, string>>;
}

export type ZoneSource = 'explicit' | 'alias' | 'user' | 'team';

export interface ParsedTime {
  instant: Date;
  /** Exactly the time expression as typed (including any zone token), trimmed. */
  typed: string;
  /** IANA zone used. */
  zone: string;
  zoneSource: ZoneSource;
  /** The zone token as typed ("EAT", "Africa/Nairobi", "Z"), or null when none was typed. */
  zoneToken: string | null;
  /** Human sentences, e.g. "“13:17pm” read as 13:17 (24-hour time with pm)." */
  warnings: string[];
}

export type ParseResult =
  | { ok: true; time: ParsedTime | null; rest: string }
  | { ok: false; error: string; hint: string };

/** Clock skew allowed between the typist's clock and ours before a time counts as future. */
export const FUTURE_GRACE_MS = 60_000;
/** "N minutes ago" further back than this is a typo, not a backdate. */
export const MAX_AGO_MS = 30 * 86_400_000;

const GENERAL_HINT =
  'put the time first, then the text: “12:34pm users reported errors”, “13:17 EAT: DB failover”, ' +
  '“2023-07-23 12:34 Africa/Nairobi: …” or “10 minutes ago: …”';

const MONTH_NAMES = [
  'january', 'february', 'march', 'april', 'may', 'june',
  'july', 'august', 'september', 'october', 'november', 'december',
] as const;

const MONTH = String.raw`(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?![a-z])`;
const DAY = String.raw`(\d{1,2})(?:st|nd|rd|th)?(?![\d:a-z])`;
const YEAR = String.raw`(?:\s*,?\s*(\d{4})(?!\d))?`;

const RE = {
  bullet: /[-*+•]\s+/y,
  now: /now(?=\s*(?:[:,;]|[-–—](?:\s|$)))/iy,
  agoPart: /(an?|\d{1,9})\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)(?![a-z])/iy,
  agoJoin: /\s*(?:,|and)?\s*/iy,
  ago: /\s+ago(?![a-z])/iy,
  dayWord: /(today|yesterday)(?:\s+at)?\s+/iy,
  isoDate: /(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)/y,
  isoSep: /(?:T|\s*,\s*(?:at\s+)?|\s+(?:at\s+)?)/iy,
  monthFirst: new RegExp(String.raw`${MONTH}\s+${DAY}${YEAR}`, 'iy'),
  dayFirst: new RegExp(String.raw`${DAY}\s+${MONTH}${YEAR}`, 'iy'),
  dateSep: /(?:\s*,\s*|\s+)(?:at\s+)?/iy,
  // Fractions of a second (ISO "12:34:56.789") are accepted and dropped.
  clock: /(\d{1,2})(?::(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?(?:\s*([ap])\.?m\b\.?)?/iy,
  // What may follow a time: end, space, a separator, or a dash used as one ("13:17-13:30" is
  // a range, not a time).
  boundary: /(?=$|\s|[:,;()–—]|-(?:\s|$)|Z(?![A-Za-z0-9]))/iy,
  gluedZ: /Z(?![A-Za-z0-9])/iy,
  parenZone: /\s*\(\s*([A-Za-z][A-Za-z0-9_+\-/]*(?::\d{2})?)\s*\)/y,
  // The optional ":mm" tail is for offsets such as UTC+05:30.
  zone: /\s+([A-Za-z][A-Za-z0-9_+\-/]*(?::\d{2})?)(?=$|\s|[:,;.–—])/y,
  separatorAhead: /\s*(?:[:,;]|[-–—](?:\s|$))/y,
  separator: /\s*(?:[:,;.]|--?(?=\s|$)|[–—])?\s*/y,
  offsetZone: /^(?:UTC|GMT)([+-])(\d{1,2})(?::?(\d{2}))?$/i,
  // A bare ISO 8601 offset after a time: "12:34 +05:45".
  bareOffset: /\s+([+-])(\d{2}):(\d{2})(?=$|\s|[:,;()–—])/y,
  // An ISO 8601 offset glued to the time of an ISO date: 2023-07-23T12:34+03:00.
  isoOffset: /([+-])(\d{2}):?(\d{2})(?=$|\s|[:,;()–—])/y,
};

// An unknown all-caps word after a time is taken as a mistyped zone only if it has the
// shape of a zone abbreviation: 3–5 letters ending in T (EAT, PDT, CEST, AEDT). Other
// all-caps words are ordinary text ("13:17 DB failover", "13:17 DBA: paging", "13:17 API
// errors"), and so are these common words that happen to have that shape.
const NOT_ZONES: ReadonlySet<string> = new Set([
  'ACT', 'ALERT', 'AUDIT', 'ABORT', 'BEAT', 'BEST', 'BOOT', 'BOT', 'BUT', 'CERT', 'CHAT',
  'COST', 'CUT', 'DEPT', 'EAST', 'EDIT', 'EXIT', 'FAST', 'FIRST', 'FLAT', 'GET', 'GOT', 'HEAT',
  'HIT', 'HOST', 'HOT', 'INIT', 'INPUT', 'JUST', 'LAST', 'LET', 'LIMIT', 'LIST', 'LOST', 'LOT',
  'MEET', 'MOST', 'NET', 'NEXT', 'NOT', 'OUT', 'PAST', 'PORT', 'POST', 'PUT', 'QUIT', 'RESET',
  'REST', 'ROOT', 'SENT', 'SET', 'SHORT', 'SHUT', 'SORT', 'SPLIT', 'START', 'TEST', 'WAIT',
  'WENT',
]);

const quote = (s: string): string => `“${s}”`;
const pad2 = (n: number): string => String(n).padStart(2, '0');

function fail(error: string, hint: string = GENERAL_HINT): ParseResult {
  return { ok: false, error, hint };
}

function match(re: RegExp, s: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(s);
}

interface Clock {
  hour: number;
  minute: number;
  second: number;
  warnings: string[];
}

interface ZoneChoice {
  zone: string;
  source: ZoneSource;
  /** The abbreviation typed, when the zone came from an alias. */
  alias?: string;
}

type DateSpec =
  | { kind: 'none' }
  | { kind: 'full'; year: number; month: number; day: number; text: string }
  | { kind: 'noYear'; month: number; day: number; text: string }
  | { kind: 'dayWord'; daysBack: number };

/** Validates a typed clock and applies am/pm. */
function readClock(m: RegExpExecArray): Clock | ParseResult {
  const typed = m[0];
  const hour = Number(m[1]);
  const minute = m[2] === undefined ? 0 : Number(m[2]);
  const second = m[3] === undefined ? 0 : Number(m[3]);
  const meridiem = m[4]?.toLowerCase() as 'a' | 'p' | undefined;
  const hm = `${pad2(hour)}:${pad2(minute)}`;
  if (hour > 23) {
    return fail(`${quote(typed)} is not a valid time: the hour must be 00 to 23`, 'write a time such as 13:17 or 1:17pm');
  }
  if (minute > 59) {
    return fail(`${quote(typed)} is not a valid time: minutes go from 00 to 59`, 'write a time such as 13:17 or 1:17pm');
  }
  if (second > 59) {
    return fail(`${quote(typed)} is not a valid time: seconds go from 00 to 59`, 'write a time such as 13:17:05');
  }
  if (meridiem === undefined) return { hour, minute, second, warnings: [] };
  if (hour === 0) {
    return fail(
      `${quote(typed)} is not a valid time: a 12-hour clock has no hour 0`,
      `write ${meridiem === 'p' ? `12:${pad2(minute)}pm` : `12:${pad2(minute)}am`}, or ${hm} on the 24-hour clock`,
    );
  }
  if (hour >= 13) {
    if (meridiem === 'a') {
      return fail(
        `${quote(typed)} contradicts itself: ${hm} is not in the morning`,
        `write ${hm}, or ${hour - 12}:${pad2(minute)}pm`,
      );
    }
    // "13:17pm" (as in the seed postmortem): the 24-hour reading is the only sensible one.
    return { hour, minute, second, warnings: [`${quote(typed.trim())} read as ${hm} (24-hour time with pm).`] };
  }
  const h24 = meridiem === 'a' ? hour % 12 : (hour % 12) + 12;
  return { hour: h24, minute, second, warnings: [] };
}

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month is the last day of this one.
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0);
  return d.getUTCDate();
}

function monthName(m: number): string {
  const n = MONTH_NAMES[m - 1] ?? '';
  return n.charAt(0).toUpperCase() + n.slice(1);
}

function checkDate(year: number, month: number, day: number, typed: string): ParseResult | null {
  const hint = 'write a real date, e.g. 2023-07-23 12:34 or July 23, 2023 12:34pm';
  if (month < 1 || month > 12) return fail(`${quote(typed)} is not a valid date: there is no month ${month}`, hint);
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) {
    return fail(`${quote(typed)} is not a valid date: ${monthName(month)} ${year} has ${days} days`, hint);
  }
  return null;
}

/** Calendar arithmetic on a date, independent of any zone. */
function addDays(w: WallClock, days: number): WallClock {
  const d = new Date(wallToUtcMs({ ...w, hour: 12, minute: 0, second: 0 }) + days * 86_400_000);
  return { ...w, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

interface Reading {
  instant: number;
  warning?: string;
}

function hmText(w: WallClock): string {
  return `${pad2(w.hour)}:${pad2(w.minute)}${w.second === 0 ? '' : `:${pad2(w.second)}`}`;
}

function dateOf(w: WallClock): string {
  return `${String(w.year).padStart(4, '0')}-${pad2(w.month)}-${pad2(w.day)}`;
}

/**
 * Every instant that the wall clock `w` names in `zone`, earliest first: one normally, two
 * in a DST overlap (clocks went back), and in a gap (clocks jumped forward) the moment one
 * gap-length later, as a clock that was not moved would have read it. Offsets are taken
 * from Intl a day either side, so this holds for any zone and any process TZ (unlike
 * date-fns-tz's fromZonedTime, which is an hour off in gaps).
 */
export function wallClockToInstants(w: WallClock, zone: string): Reading[] {
  const local = wallToUtcMs(w);
  const before = zoneOffsetMs(new Date(local - 86_400_000), zone);
  const after = zoneOffsetMs(new Date(local + 86_400_000), zone);
  const valid = [...new Set([before, after])]
    .map((off) => local - off)
    .filter((t) => zoneOffsetMs(new Date(t), zone) === local - t)
    .sort((a, b) => a - b);
  const at = (t: number): string => formatInstant(new Date(t), zone, { date: 'none' });
  const utc = (t: number): string => formatInstant(new Date(t), 'UTC', { date: 'none' });
  if (valid.length === 2) {
    const [first, second] = valid as [number, number];
    const lead = `${hmText(w)} happened twice on ${dateOf(w)} in ${zone} (clocks went back)`;
    return [
      { instant: first, warning: `${lead}; used the first, ${at(first)} (${utc(first)}).` },
      { instant: second, warning: `${lead}; used the second, ${at(second)} (${utc(second)}).` },
    ];
  }
  if (valid.length === 1) return [{ instant: valid[0] as number }];
  // Gap: read with the offset in force before the jump, i.e. shifted forward by its length.
  const shifted = local - before;
  return [
    {
      instant: shifted,
      warning: `${hmText(w)} does not exist on ${dateOf(w)} in ${zone} (clocks jumped forward); used ${at(shifted)}.`,
    },
  ];
}

/**
 * In a DST overlap a typed abbreviation tells the two readings apart ("01:30 EST" is the second
 * 01:30 in New York that night, "01:30 EDT" the first): keep the readings it names, if any.
 */
function readingsNamed(readings: Reading[], choice: ZoneChoice): Reading[] {
  if (choice.alias === undefined || readings.length < 2) return readings;
  const named = readings.filter((r) => zoneAbbreviation(new Date(r.instant), choice.zone) === choice.alias);
  return named.length > 0 ? named.map(({ instant }) => ({ instant })) : readings;
}

function chooseZone(ctx: ParseContext): ZoneChoice {
  if (ctx.userZone !== null && isIanaZone(ctx.userZone)) return { zone: ctx.userZone, source: 'user' };
  return { zone: ctx.teamZone, source: 'team' };
}

interface ZoneToken {
  choice: ZoneChoice | null;
  /** The token as typed, when it named a zone. */
  token?: string;
  end: number;
  error?: ParseResult;
}

/** A fixed UTC offset (`UTC+3`, `UTC+5:30`, `+05:45`) as a zone: `[, sign, hours, minutes?]` of a match. */
function offsetZoneToken(offset: RegExpExecArray, token: string, end: number): ZoneToken {
  const hours = Number(offset[2]);
  const minutes = offset[3] === undefined ? 0 : Number(offset[3]);
  const east = offset[1] === '+';
  // Offsets in use run from UTC-12 to UTC+14.
  if (minutes > 59 || hours * 60 + minutes > (east ? 14 : 12) * 60) {
    return {
      choice: null,
      end,
      error: fail(
        `${quote(token)} is not a UTC offset: offsets run from UTC-12:00 to UTC+14:00`,
        'write an offset such as UTC+5:30 or +05:45, or an IANA name such as Asia/Kolkata',
      ),
    };
  }
  const zone = fixedOffsetZone((east ? 1 : -1) * (hours * 60 + minutes));
  return { choice: { zone, source: 'explicit' }, token, end };
}

/**
 * Reads an optional zone token after the time. Rules, so ordinary words stay text:
 * - "(…)" always names a zone;
 * - a word with "/" names a zone if it looks like one (see looksLikeIanaName);
 * - `UTC+3`, `GMT-5`, `UTC+5:30` and a bare `+05:45` name fixed offsets;
 * - a known abbreviation names a zone when written in capitals, or in any case when a
 *   separator follows ("12:34 est: …"), so "12:34pm eat lunch" stays text;
 * - an unknown word is refused as a zone only if it has the shape of one (NOT_ZONES).
 */
function readZoneToken(s: string, at: number, ctx: ParseContext): ZoneToken {
  const glued = match(RE.gluedZ, s, at);
  if (glued) return { choice: { zone: 'UTC', source: 'alias', alias: 'Z' }, token: glued[0], end: at + glued[0].length };
  const paren = match(RE.parenZone, s, at);
  const plain = paren ? null : match(RE.zone, s, at);
  const m = paren ?? plain;
  if (!m) {
    const bare = match(RE.bareOffset, s, at);
    return bare ? offsetZoneToken(bare, bare[0].trim(), at + bare[0].length) : { choice: null, end: at };
  }
  let token = m[1] ?? '';
  let end = at + m[0].length;
  if (!paren) {
    // A trailing dash belongs to the separator ("EAT- text"), not the zone.
    const trimmed = token.replace(/-+$/, '');
    end -= token.length - trimmed.length;
    token = trimmed;
  }
  const unknownZone = (): ZoneToken => ({
    choice: null,
    end,
    error: fail(
      `unknown time zone ${quote(token)}`,
      'write an IANA name such as Africa/Nairobi or America/New_York, or an abbreviation such as EAT, UTC, CET, EST, PST',
    ),
  });
  const offset = RE.offsetZone.exec(token);
  if (offset) return offsetZoneToken(offset, token, end);
  if (token.includes('/')) {
    if (!paren && !looksLikeIanaName(token)) return { choice: null, end: at };
    const r = resolveZoneToken(token, ctx.aliases);
    return r.kind === 'iana' ? { choice: { zone: r.zone, source: 'explicit' }, token, end } : unknownZone();
  }
  const capitals = /^[A-Z]+$/.test(token);
  const r = resolveZoneToken(token, ctx.aliases);
  if (r.kind === 'unknown') {
    const zoneShaped = capitals && /^[A-Z]{2,4}T$/.test(token) && !NOT_ZONES.has(token);
    return paren || zoneShaped ? unknownZone() : { choice: null, end: at };
  }
  const separatorFollows = match(RE.separatorAhead, s, end) !== null;
  if (!(capitals || paren || separatorFollows)) return { choice: null, end: at };
  switch (r.kind) {
    case 'iana':
      return { choice: { zone: r.zone, source: 'explicit' }, token, end };
    case 'alias':
      return { choice: { zone: r.zone, source: 'alias', alias: r.alias }, token, end };
    case 'ambiguous':
      return { choice: null, end, error: fail(r.error, r.hint) };
  }
}

/** "PST" in July: the alias names Los Angeles, then on PDT; say so. */
function aliasWarning(choice: ZoneChoice, instant: Date): string | null {
  if (choice.alias === undefined) return null;
  const actual = zoneAbbreviation(instant, choice.zone);
  if (actual === choice.alias) return null;
  const year = wallClock(instant, choice.zone).year;
  const names = [0, 6].map((m) => zoneAbbreviation(new Date(Date.UTC(year, m, 1)), choice.zone));
  if (!names.includes(choice.alias)) return null;
  return `${quote(choice.alias)} read as ${choice.zone}, which is on ${actual} on ${dateOf(wallClock(instant, choice.zone))}.`;
}

function finish(
  s: string,
  start: number,
  exprEnd: number,
  time: Omit<ParsedTime, 'typed' | 'zoneToken'>,
  zoneToken: string | null = null,
): ParseResult {
  const typed = s.slice(start, exprEnd).trim();
  const sep = match(RE.separator, s, exprEnd);
  const rest = s.slice(exprEnd + (sep ? sep[0].length : 0)).trim();
  if (rest === '') {
    return fail(`a note needs text after the time ${quote(typed)}`, `write e.g. “${typed} users reported errors”`);
  }
  return { ok: true, time: { ...time, typed, zoneToken }, rest };
}

/** "10 minutes ago", "2h ago", "1h 30m ago", "an hour ago". */
function readAgo(s: string, at: number): { ms: number; end: number } | null {
  let i = at;
  let ms = 0;
  let parts = 0;
  for (;;) {
    const m = match(RE.agoPart, s, i);
    if (!m) break;
    const n = /^an?$/i.test(m[1] ?? '') ? 1 : Number(m[1]);
    const unit = (m[2] ?? '').toLowerCase();
    const size = unit.startsWith('d') ? 86_400_000 : unit.startsWith('h') ? 3_600_000 : unit.startsWith('m') ? 60_000 : 1000;
    ms += n * size;
    parts += 1;
    i += m[0].length;
    const join = match(RE.agoJoin, s, i);
    const next = join ? match(RE.agoPart, s, i + join[0].length) : null;
    if (!next) break;
    i += join ? join[0].length : 0;
  }
  if (parts === 0) return null;
  const ago = match(RE.ago, s, i);
  return ago ? { ms, end: i + ago[0].length } : null;
}

function parseAt(s: string, start: number, ctx: ParseContext): ParseResult | null {
  const now = ctx.now.getTime();
  const here = chooseZone(ctx);

  if (match(RE.now, s, start)) {
    return finish(s, start, start + 3, { instant: new Date(now), zone: here.zone, zoneSource: here.source, warnings: [] });
  }
  const ago = readAgo(s, start);
  if (ago) {
    const typed = s.slice(start, ago.end).trim();
    if (ago.ms > MAX_AGO_MS) {
      return fail(
        `${quote(typed)} is too far back to be plausible (more than 30 days)`,
        'for an older event write its date, e.g. 2023-07-23 12:34 EAT: …',
      );
    }
    return finish(s, start, ago.end, { instant: new Date(now - ago.ms), zone: here.zone, zoneSource: here.source, warnings: [] });
  }

  // An optional date, then the clock.
  let i = start;
  let date: DateSpec = { kind: 'none' };
  const dw = match(RE.dayWord, s, i);
  const iso = dw ? null : match(RE.isoDate, s, i);
  const mf = dw || iso ? null : match(RE.monthFirst, s, i);
  const df = dw || iso || mf ? null : match(RE.dayFirst, s, i);
  if (dw) {
    date = { kind: 'dayWord', daysBack: (dw[1] ?? '').toLowerCase() === 'yesterday' ? 1 : 0 };
    i += dw[0].length;
  } else if (iso) {
    date = { kind: 'full', year: Number(iso[1]), month: Number(iso[2]), day: Number(iso[3]), text: iso[0] };
    i += iso[0].length;
    const sep = match(RE.isoSep, s, i);
    i += sep ? sep[0].length : 0;
  } else if (mf || df) {
    const m = (mf ?? df) as RegExpExecArray;
    const [monthText, dayText] = mf ? [m[1], m[2]] : [m[2], m[1]];
    const month = MONTH_NAMES.findIndex((n) => n.startsWith((monthText ?? '').toLowerCase().slice(0, 3))) + 1;
    const day = Number(dayText);
    date =
      m[3] === undefined
        ? { kind: 'noYear', month, day, text: m[0] }
        : { kind: 'full', year: Number(m[3]), month, day, text: m[0] };
    i += m[0].length;
    const sep = match(RE.dateSep, s, i);
    i += sep ? sep[0].length : 0;
  }

  const cm = match(RE.clock, s, i);
  const isoOffset = iso && cm ? match(RE.isoOffset, s, i + cm[0].length) : null;
  const isClock =
    cm !== null &&
    (cm[2] !== undefined || cm[4] !== undefined) &&
    (isoOffset !== null || match(RE.boundary, s, i + cm[0].length) !== null);
  if (!cm || !isClock) {
    // A complete date with no time is a backdate attempt we cannot place; "May 3 replicas"
    // or "yesterday's deploy" are just text.
    if (date.kind === 'full') {
      return fail(`${quote(date.text)} needs a time`, `write e.g. “${date.text} 12:34 EAT: …”`);
    }
    return null;
  }
  const clock = readClock(cm);
  if ('ok' in clock) return clock;
  const clockEnd = i + cm[0].length;

  const zt = isoOffset
    ? offsetZoneToken(isoOffset, isoOffset[0], clockEnd + isoOffset[0].length)
    : readZoneToken(s, clockEnd, ctx);
  if (zt.error) return zt.error;
  const choice = zt.choice ?? here;
  const zone = choice.zone;
  const warnings = [...clock.warnings];
  const typedAll = s.slice(start, zt.end).trim();
  const today = wallClock(ctx.now, zone);
  const at = (y: number, mo: number, d: number): WallClock => ({
    year: y, month: mo, day: d, hour: clock.hour, minute: clock.minute, second: clock.second,
  });

  let reading: Reading | undefined;
  if (date.kind === 'none') {
    // The latest such wall-clock moment not after now (within the clock-skew grace).
    for (let back = 0; back <= 3 && reading === undefined; back += 1) {
      const d = addDays(today, -back);
      const ok = readingsNamed(wallClockToInstants(at(d.year, d.month, d.day), zone), choice).filter(
        (r) => r.instant <= now + FUTURE_GRACE_MS,
      );
      reading = ok[ok.length - 1];
    }
  } else {
    let y: number;
    let mo: number;
    let d: number;
    if (date.kind === 'dayWord') {
      const day = addDays(today, -date.daysBack);
      [y, mo, d] = [day.year, day.month, day.day];
    } else if (date.kind === 'noYear') {
      // The latest such date not in the future: this year, else last year.
      [y, mo, d] = [today.year, date.month, date.day];
      const probe = checkDate(y, mo, d, date.text) === null ? wallClockToInstants(at(y, mo, d), zone)[0] : undefined;
      if (probe === undefined || probe.instant > now + FUTURE_GRACE_MS) y -= 1;
      const bad = checkDate(y, mo, d, date.text);
      if (bad) return bad;
    } else {
      [y, mo, d] = [date.year, date.month, date.day];
      const bad = checkDate(y, mo, d, date.text);
      if (bad) return bad;
    }
    // An explicit date in a DST overlap: the first occurrence, unless the abbreviation says which.
    reading = readingsNamed(wallClockToInstants(at(y, mo, d), zone), choice)[0];
  }
  if (reading === undefined) return fail(`${quote(typedAll)} could not be placed in ${zone}`);
  if (reading.instant > now + FUTURE_GRACE_MS) {
    const when = formatInstant(new Date(reading.instant), zone);
    return fail(
      `${quote(typedAll)} is ${when}, that is in the future (now it is ${formatInstant(ctx.now, zone)})`,
      'a note records something that already happened: check the date, am/pm and the zone',
    );
  }
  if (reading.warning !== undefined) warnings.push(reading.warning);
  const instant = new Date(reading.instant);
  const aw = aliasWarning(choice, instant);
  if (aw !== null) warnings.push(aw);
  return finish(s, start, zt.end, { instant, zone, zoneSource: choice.source, warnings }, zt.token ?? null);
}

/**
 * Takes a time from the start of `text`, if there is one: `12:34pm`, `13:17 EAT`,
 * `2023-07-23 12:34 Africa/Nairobi`, `July 23, 2023, 12:34pm`, `23 July 2023 12:34`,
 * `yesterday 23:50`, `10 minutes ago`, `now:` … followed by an optional separator and the
 * note's text. `time: null` means the text does not start with a time (rest = the text).
 * A leading list bullet ("- ", "* ") before a time is dropped, so timeline lines pasted from
 * a document work.
 */
export function parseLeadingTime(text: string, ctx: ParseContext): ParseResult {
  if (!isIanaZone(ctx.teamZone)) throw new RangeError(`team zone is not an IANA zone: ${ctx.teamZone}`);
  const s = text.trim();
  const direct = parseAt(s, 0, ctx);
  if (direct !== null) return direct;
  const bullet = match(RE.bullet, s, 0);
  const afterBullet = bullet ? parseAt(s, bullet[0].length, ctx) : null;
  return afterBullet ?? { ok: true, time: null, rest: s };
}

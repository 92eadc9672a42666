// The one place that turns instants into text (cards, timeline, postmortem), so every time
// the bot writes carries its zone abbreviation and a correct 12- or 24-hour form.
import { fixedOffsetMinutes, resolveZoneToken, wallClock, zoneOffsetMs, type WallClock } from './zones.js';

interface ZoneNames {
  std: string;
  /** UTC offset of standard time, minutes east. */
  stdOffset: number;
  /** Daylight abbreviation, if the zone observes DST (always one hour ahead here). */
  dst?: string;
}

// Intl's en-US short names are "GMT+3" for most zones outside the Americas, so the names
// people actually use are curated here. An entry is used only when the offset at the instant
// matches it; historical offsets (Nairobi before 1942, say) fall through to the numeric form.
const Z = (std: string, stdOffset: number, dst?: string): ZoneNames =>
  dst === undefined ? { std, stdOffset } : { std, stdOffset, dst };

const ZONE_NAMES: Readonly<Record<string, ZoneNames>> = {
  UTC: Z('UTC', 0),
  'Etc/UTC': Z('UTC', 0),
  'Etc/GMT': Z('UTC', 0),
  'Africa/Nairobi': Z('EAT', 180),
  'Africa/Addis_Ababa': Z('EAT', 180),
  'Africa/Dar_es_Salaam': Z('EAT', 180),
  'Africa/Kampala': Z('EAT', 180),
  'Africa/Mogadishu': Z('EAT', 180),
  'Africa/Djibouti': Z('EAT', 180),
  'Africa/Asmara': Z('EAT', 180),
  'Indian/Antananarivo': Z('EAT', 180),
  'Africa/Maputo': Z('CAT', 120),
  'Africa/Harare': Z('CAT', 120),
  'Africa/Lusaka': Z('CAT', 120),
  'Africa/Kigali': Z('CAT', 120),
  'Africa/Blantyre': Z('CAT', 120),
  'Africa/Gaborone': Z('CAT', 120),
  'Africa/Lubumbashi': Z('CAT', 120),
  'Africa/Bujumbura': Z('CAT', 120),
  'Africa/Windhoek': Z('CAT', 120),
  'Africa/Khartoum': Z('CAT', 120),
  'Africa/Juba': Z('CAT', 120),
  'Africa/Lagos': Z('WAT', 60),
  'Africa/Kinshasa': Z('WAT', 60),
  'Africa/Luanda': Z('WAT', 60),
  'Africa/Douala': Z('WAT', 60),
  'Africa/Johannesburg': Z('SAST', 120),
  'Africa/Cairo': Z('EET', 120, 'EEST'),
  'Africa/Accra': Z('GMT', 0),
  'Africa/Abidjan': Z('GMT', 0),
  'Africa/Dakar': Z('GMT', 0),
  'Europe/London': Z('GMT', 0, 'BST'),
  'Europe/Dublin': Z('GMT', 0, 'IST'),
  'Europe/Lisbon': Z('WET', 0, 'WEST'),
  'Atlantic/Canary': Z('WET', 0, 'WEST'),
  'Europe/Berlin': Z('CET', 60, 'CEST'),
  'Europe/Paris': Z('CET', 60, 'CEST'),
  'Europe/Madrid': Z('CET', 60, 'CEST'),
  'Europe/Rome': Z('CET', 60, 'CEST'),
  'Europe/Amsterdam': Z('CET', 60, 'CEST'),
  'Europe/Brussels': Z('CET', 60, 'CEST'),
  'Europe/Vienna': Z('CET', 60, 'CEST'),
  'Europe/Zurich': Z('CET', 60, 'CEST'),
  'Europe/Stockholm': Z('CET', 60, 'CEST'),
  'Europe/Oslo': Z('CET', 60, 'CEST'),
  'Europe/Copenhagen': Z('CET', 60, 'CEST'),
  'Europe/Warsaw': Z('CET', 60, 'CEST'),
  'Europe/Prague': Z('CET', 60, 'CEST'),
  'Europe/Budapest': Z('CET', 60, 'CEST'),
  'Europe/Belgrade': Z('CET', 60, 'CEST'),
  'Europe/Malta': Z('CET', 60, 'CEST'),
  'Europe/Athens': Z('EET', 120, 'EEST'),
  'Europe/Helsinki': Z('EET', 120, 'EEST'),
  'Europe/Kyiv': Z('EET', 120, 'EEST'),
  'Europe/Kiev': Z('EET', 120, 'EEST'),
  'Europe/Bucharest': Z('EET', 120, 'EEST'),
  'Europe/Sofia': Z('EET', 120, 'EEST'),
  'Europe/Riga': Z('EET', 120, 'EEST'),
  'Europe/Tallinn': Z('EET', 120, 'EEST'),
  'Europe/Vilnius': Z('EET', 120, 'EEST'),
  'Europe/Moscow': Z('MSK', 180),
  'Europe/Istanbul': Z('TRT', 180),
  'America/New_York': Z('EST', -300, 'EDT'),
  'America/Toronto': Z('EST', -300, 'EDT'),
  'America/Detroit': Z('EST', -300, 'EDT'),
  'America/Chicago': Z('CST', -360, 'CDT'),
  'America/Winnipeg': Z('CST', -360, 'CDT'),
  'America/Mexico_City': Z('CST', -360, 'CDT'),
  'America/Denver': Z('MST', -420, 'MDT'),
  'America/Edmonton': Z('MST', -420, 'MDT'),
  'America/Phoenix': Z('MST', -420),
  'America/Los_Angeles': Z('PST', -480, 'PDT'),
  'America/Vancouver': Z('PST', -480, 'PDT'),
  'America/Anchorage': Z('AKST', -540, 'AKDT'),
  'Pacific/Honolulu': Z('HST', -600),
  'America/Halifax': Z('AST', -240, 'ADT'),
  'America/St_Johns': Z('NST', -210, 'NDT'),
  'America/Sao_Paulo': Z('BRT', -180),
  'America/Argentina/Buenos_Aires': Z('ART', -180),
  'America/Buenos_Aires': Z('ART', -180),
  'Asia/Kolkata': Z('IST', 330),
  'Asia/Calcutta': Z('IST', 330),
  'Asia/Jerusalem': Z('IST', 120, 'IDT'),
  'Asia/Tokyo': Z('JST', 540),
  'Asia/Seoul': Z('KST', 540),
  'Asia/Shanghai': Z('CST', 480),
  'Asia/Hong_Kong': Z('HKT', 480),
  'Asia/Taipei': Z('CST', 480),
  'Asia/Singapore': Z('SGT', 480),
  'Asia/Manila': Z('PHT', 480),
  'Asia/Jakarta': Z('WIB', 420),
  'Asia/Karachi': Z('PKT', 300),
  'Asia/Dubai': Z('GST', 240),
  'Australia/Sydney': Z('AEST', 600, 'AEDT'),
  'Australia/Melbourne': Z('AEST', 600, 'AEDT'),
  'Australia/Hobart': Z('AEST', 600, 'AEDT'),
  'Australia/Canberra': Z('AEST', 600, 'AEDT'),
  'Australia/Brisbane': Z('AEST', 600),
  'Australia/Adelaide': Z('ACST', 570, 'ACDT'),
  'Australia/Darwin': Z('ACST', 570),
  'Australia/Perth': Z('AWST', 480),
  'Pacific/Auckland': Z('NZST', 720, 'NZDT'),
};

const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
] as const;

const pad = (n: number, width = 2): string => String(Math.abs(n)).padStart(width, '0');

/** `+03:00`, `-04:00`, `+05:45` */
export function formatOffset(instant: Date, zone: string): string {
  const minutes = Math.round(zoneOffsetMs(instant, zone) / 60_000);
  const sign = minutes < 0 ? '-' : '+';
  return `${sign}${pad(Math.trunc(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
}

function numericName(offsetMinutes: number): string {
  if (offsetMinutes === 0) return 'UTC';
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  if (abs % 60 === 0) return `UTC${sign}${abs / 60}`;
  return `UTC${sign}${pad(Math.trunc(abs / 60))}:${pad(abs % 60)}`;
}

const shortNameCache = new Map<string, Intl.DateTimeFormat>();

/** The name people use for `zone` at `instant` (curated, else Intl's when it is letters), if any. */
function customaryName(instant: Date, zone: string, offset: number): string | null {
  const names = ZONE_NAMES[zone];
  if (names) {
    if (offset === names.stdOffset) return names.std;
    if (names.dst !== undefined && offset === names.stdOffset + 60) return names.dst;
  }
  let f = shortNameCache.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' });
    shortNameCache.set(zone, f);
  }
  const intlName = f.formatToParts(instant).find((p) => p.type === 'timeZoneName')?.value ?? '';
  return /^[A-Z]{2,5}$/.test(intlName) ? intlName : null;
}

/** The parser reads `name` back as a zone on `offset` at `instant` (not ambiguous, not another offset). */
function readsBackAs(name: string, instant: Date, offset: number): boolean {
  const r = resolveZoneToken(name);
  return (r.kind === 'alias' || r.kind === 'iana') && Math.round(zoneOffsetMs(instant, r.zone) / 60_000) === offset;
}

/**
 * The abbreviation people use for `zone` at `instant`: EAT, EDT/EST, CET/CEST, GMT, AEST/AEDT,
 * or Intl's name when it is letters (most of the Americas). Every time the bot writes can be
 * pasted back into a note, so a name the parser would refuse or read as another offset (IST,
 * BST, NST, CST for Shanghai, EST for Panama in July) gives way to the offset: `UTC+05:30`, `UTC+1`.
 */
export function zoneAbbreviation(instant: Date, zone: string): string {
  const offset = Math.round(zoneOffsetMs(instant, zone) / 60_000);
  const name = fixedOffsetMinutes(zone) === null ? customaryName(instant, zone, offset) : null;
  return name !== null && readsBackAs(name, instant, offset) ? name : numericName(offset);
}

export interface FormatOptions {
  /** 24h (default): `13:17`; 12h: `1:17 PM`. */
  clock?: '24h' | '12h';
  /** iso (default): `2023-07-23`; long: `July 23, 2023`; none: time only. */
  date?: 'none' | 'iso' | 'long';
  /** Show seconds (default: false). */
  seconds?: boolean;
}

function clockText(w: WallClock, clock: '24h' | '12h', seconds: boolean): string {
  const sec = seconds ? `:${pad(w.second)}` : '';
  if (clock === '24h') return `${pad(w.hour)}:${pad(w.minute)}${sec}`;
  // 12-hour form is only ever 1–12 with AM/PM: never "13:17pm".
  const h12 = w.hour % 12 === 0 ? 12 : w.hour % 12;
  return `${h12}:${pad(w.minute)}${sec} ${w.hour < 12 ? 'AM' : 'PM'}`;
}

function dateText(w: WallClock, style: 'iso' | 'long'): string {
  if (style === 'iso') return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
  return `${MONTHS[w.month - 1] ?? '?'} ${w.day}, ${w.year}`;
}

/** The calendar date of `instant` in `zone`: `2023-07-23` (iso) or `July 23, 2023` (long). */
export function formatDate(instant: Date, zone: string, style: 'iso' | 'long' = 'iso'): string {
  return dateText(wallClock(instant, zone), style);
}

/**
 * `2023-07-23 13:17 EAT` by default; `July 23, 2023, 1:17 PM EAT` with
 * `{ date: 'long', clock: '12h' }`; `13:17 EAT` with `{ date: 'none' }`.
 */
export function formatInstant(instant: Date, zone: string, opts: FormatOptions = {}): string {
  const w = wallClock(instant, zone);
  const time = `${clockText(w, opts.clock ?? '24h', opts.seconds ?? false)} ${zoneAbbreviation(instant, zone)}`;
  const style = opts.date ?? 'iso';
  if (style === 'none') return time;
  return style === 'long' ? `${dateText(w, 'long')}, ${time}` : `${dateText(w, 'iso')} ${time}`;
}

/**
 * Slack date token: each reader sees the time in their own zone; clients that cannot render
 * it show the fallback, written in `zone`.
 * `<!date^1690107420^{date_short_pretty} {time}|2023-07-23 13:17 EAT>`
 */
export function slackDateToken(
  instant: Date,
  zone: string,
  format = '{date_short_pretty} {time}',
): string {
  const seconds = Math.floor(instant.getTime() / 1000);
  return `<!date^${seconds}^${format}|${formatInstant(instant, zone)}>`;
}

/** `45s`, `3m 05s`, `1h 47m`, `2d 4h`: the two largest units, truncated, zero tails dropped. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a duration: ${ms}`);
  const sign = ms < 0 ? '-' : '';
  const total = Math.round(Math.abs(ms) / 1000);
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  let text: string;
  if (d > 0) text = h > 0 ? `${d}d ${h}h` : `${d}d`;
  else if (h > 0) text = m > 0 ? `${h}h ${pad(m)}m` : `${h}h`;
  else if (m > 0) text = s > 0 ? `${m}m ${pad(s)}s` : `${m}m`;
  else text = `${s}s`;
  return sign + text;
}

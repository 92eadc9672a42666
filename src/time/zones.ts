// Time-zone names: which strings people may type as a zone, and what instant-independent
// facts we need about a zone (wall clock and UTC offset at an instant).
//
// Everything here goes through Intl with an explicit `timeZone`, so nothing depends on the
// process `TZ`.

/** Wall-clock reading of an instant in a zone. `month` is 1–12. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export type ZoneResolution =
  | { kind: 'iana'; zone: string }
  | { kind: 'alias'; zone: string; alias: string }
  | { kind: 'ambiguous'; alias: string; message: string; error: string; hint: string }
  | { kind: 'unknown' };

// Top-level areas of the tz database (plus the legacy country links people still type).
// Used to tell an attempted zone name ("Afirca/Nairobi") from ordinary text ("read/write").
const IANA_AREAS: ReadonlySet<string> = new Set(
  [
    'africa', 'america', 'antarctica', 'arctic', 'asia', 'atlantic', 'australia', 'europe',
    'indian', 'pacific', 'etc', 'us', 'canada', 'brazil', 'mexico', 'chile',
  ],
);

const formatterCache = new Map<string, Intl.DateTimeFormat>();

function partsFormatter(zone: string): Intl.DateTimeFormat {
  let f = formatterCache.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatterCache.set(zone, f);
  }
  return f;
}

// Building a DateTimeFormat is costly and the set of names people type is small: remember answers.
const intlAnswers = new Map<string, string | null>();

/** Intl accepts the name (in any case, and including abbreviations Node maps silently). */
function intlAccepts(name: string): string | null {
  const known = intlAnswers.get(name);
  if (known !== undefined) return known;
  let resolved: string | null;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    resolved = null;
  }
  // Bounded: only a flood of distinct junk names could grow it, and then we stop remembering.
  if (intlAnswers.size < 1_000) intlAnswers.set(name, resolved);
  return resolved;
}

// IANA spells every segment Capitalised ("America/Port-au-Prince", "Etc/GMT+3"); a segment
// of four or more letters in all capitals is a case error, except the GMT/UTC forms of Etc.
function hasIanaCasing(name: string): boolean {
  return name.split('/').every(
    (seg) =>
      /^[A-Z]/.test(seg) &&
      (/[a-z]/.test(seg) || seg.replace(/[^A-Za-z]/g, '').length <= 3 || /^(GMT|UTC|UCT)/.test(seg)),
  );
}

/**
 * True for a valid IANA zone name spelt exactly as IANA does (`Africa/Nairobi`, `UTC`,
 * `Etc/GMT-3`). Abbreviations that Node accepts silently (`EST` → Panama, `BST` → Dhaka)
 * are not IANA names here: they go through the alias table.
 */
export function isIanaZone(name: string): boolean {
  if (name !== 'UTC' && !name.includes('/')) return false;
  const resolved = intlAccepts(name);
  if (resolved === null) return false;
  // Intl canonicalises case; a same-name answer in different case means a case error.
  if (resolved.toLowerCase() === name.toLowerCase()) return resolved === name || name === 'UTC';
  // A link (Asia/Kolkata → Asia/Calcutta): Intl gives no spelling to compare with.
  return hasIanaCasing(name);
}

/**
 * A name containing "/" that is written like an attempted IANA zone: its area is a tz
 * area ("africa/…", any case), or every segment is Capitalised ("Afirca/Nairobi").
 * "read/write" and "DB/cache" are text.
 */
export function looksLikeIanaName(word: string): boolean {
  if (!/^[A-Za-z][\w+-]*(\/[\w+-]+)+$/.test(word)) return false;
  const area = word.split('/')[0] ?? '';
  if (IANA_AREAS.has(area.toLowerCase())) return true;
  return word.split('/').every((seg) => /^[A-Z][a-z]/.test(seg));
}

/**
 * Built-in abbreviations that name one region's zone unambiguously. An alias names the
 * region's zone, not a fixed offset: "PST" in July means Los Angeles time (then PDT),
 * which is what a person writing "PST" means.
 */
export const BUILT_IN_ALIASES: Readonly<Record<string, string>> = {
  UTC: 'UTC',
  UT: 'UTC',
  GMT: 'UTC',
  Z: 'UTC',
  ZULU: 'UTC',
  EAT: 'Africa/Nairobi',
  CAT: 'Africa/Maputo',
  WAT: 'Africa/Lagos',
  SAST: 'Africa/Johannesburg',
  // Every EU country on CET shares the same rules since 1996; Berlin stands for them all.
  CET: 'Europe/Berlin',
  CEST: 'Europe/Berlin',
  // EU EET countries share rules; Egypt (Africa/Cairo) differs, so Cairo needs its IANA name.
  EET: 'Europe/Athens',
  EEST: 'Europe/Athens',
  WET: 'Europe/Lisbon',
  WEST: 'Europe/Lisbon',
  MSK: 'Europe/Moscow',
  EST: 'America/New_York',
  EDT: 'America/New_York',
  CDT: 'America/Chicago',
  MST: 'America/Denver',
  MDT: 'America/Denver',
  PST: 'America/Los_Angeles',
  PDT: 'America/Los_Angeles',
  AKST: 'America/Anchorage',
  AKDT: 'America/Anchorage',
  HST: 'Pacific/Honolulu',
  ADT: 'America/Halifax',
  NDT: 'America/St_Johns',
  JST: 'Asia/Tokyo',
  KST: 'Asia/Seoul',
  HKT: 'Asia/Hong_Kong',
  SGT: 'Asia/Singapore',
  WIB: 'Asia/Jakarta',
  PKT: 'Asia/Karachi',
  AEST: 'Australia/Sydney',
  AEDT: 'Australia/Sydney',
  ACST: 'Australia/Adelaide',
  ACDT: 'Australia/Adelaide',
  AWST: 'Australia/Perth',
  NZST: 'Pacific/Auckland',
  NZDT: 'Pacific/Auckland',
};

interface Ambiguity {
  meanings: string;
  example: string;
}

/** Abbreviations in real use for more than one zone: we ask rather than guess. */
export const AMBIGUOUS_ABBREVIATIONS: Readonly<Record<string, Ambiguity>> = {
  IST: { meanings: 'India, Ireland, Israel', example: 'Asia/Kolkata' },
  CST: { meanings: 'US Central, China, Cuba', example: 'America/Chicago' },
  CT: { meanings: 'US Central, China', example: 'America/Chicago' },
  BST: { meanings: 'British Summer Time, Bangladesh', example: 'Europe/London' },
  AST: { meanings: 'Atlantic, Arabia', example: 'America/Halifax' },
  ECT: { meanings: 'Ecuador, Eastern Caribbean', example: 'America/Guayaquil' },
  GST: { meanings: 'Gulf, South Georgia', example: 'Asia/Dubai' },
  SST: { meanings: 'Samoa, Singapore', example: 'Pacific/Pago_Pago' },
  AMT: { meanings: 'Amazon, Armenia', example: 'America/Manaus' },
  NST: { meanings: 'Newfoundland, New Zealand', example: 'America/St_Johns' },
};

/** Case-insensitive lookup in an alias record; returns the record's own key and value. */
function lookupAlias(
  table: Readonly<Record<string, string>>,
  upper: string,
): { key: string; zone: string } | null {
  for (const [key, zone] of Object.entries(table)) {
    if (key.toUpperCase() === upper) return { key: key.toUpperCase(), zone };
  }
  return null;
}

/** The zone spelling to use for an IANA-looking token, or null if Intl does not know it. */
function ianaSpelling(token: string): string | null {
  if (isIanaZone(token)) return token;
  const resolved = intlAccepts(token);
  // Wrong case ("africa/nairobi"): use Intl's canonical spelling.
  if (resolved !== null && token.includes('/')) return resolved;
  return null;
}

/**
 * Resolves what a person typed as a zone. Order: an IANA name; a configured alias
 * (overrides built-ins, and may settle an ambiguous abbreviation, e.g. IST: Asia/Kolkata);
 * a built-in alias; an ambiguous abbreviation (refused with a hint); unknown.
 * Abbreviations are case-insensitive; configured aliases naming an invalid zone are ignored
 * (loadConfig refuses them at start-up).
 */
export function resolveZoneToken(
  token: string,
  aliases: Readonly<Record<string, string>> = {},
): ZoneResolution {
  const t = token.trim();
  if (t === '') return { kind: 'unknown' };
  if (t.includes('/') || t === 'UTC') {
    const zone = ianaSpelling(t);
    return zone === null ? { kind: 'unknown' } : { kind: 'iana', zone };
  }
  const upper = t.toUpperCase();
  const configured = lookupAlias(aliases, upper);
  if (configured && isIanaZone(configured.zone)) {
    return { kind: 'alias', zone: configured.zone, alias: configured.key };
  }
  const builtIn = lookupAlias(BUILT_IN_ALIASES, upper);
  if (builtIn) return { kind: 'alias', zone: builtIn.zone, alias: builtIn.key };
  const amb = AMBIGUOUS_ABBREVIATIONS[upper];
  if (amb) {
    const error = `${upper} is ambiguous (${amb.meanings})`;
    const hint = `write an IANA name such as ${amb.example}, or ask an admin to add it under zone_aliases`;
    return { kind: 'ambiguous', alias: upper, error, hint, message: `${error}: ${hint}` };
  }
  return { kind: 'unknown' };
}

// A fixed offset with minutes (UTC+05:30, UTC-03:30) has no Etc/ zone in the tz database and
// Node 20's Intl refuses "+05:30" as a timeZone, so such zones are computed here by arithmetic.
const FIXED_OFFSET_ZONE = /^UTC([+-])(\d{2}):(\d{2})$/;

/** Minutes east of UTC of a fixed-offset zone written `UTC±HH:MM`, or null for any other zone. */
export function fixedOffsetMinutes(zone: string): number | null {
  const m = FIXED_OFFSET_ZONE.exec(zone);
  if (!m) return null;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -minutes : minutes;
}

/**
 * The zone for a fixed UTC offset (minutes east): `UTC` for zero, the IANA `Etc/GMT∓h` zone for
 * whole hours (its sign is inverted: UTC+3 is Etc/GMT-3), else `UTC±HH:MM`.
 */
export function fixedOffsetZone(minutes: number): string {
  if (minutes === 0) return 'UTC';
  const abs = Math.abs(minutes);
  if (abs % 60 === 0) return `Etc/GMT${minutes > 0 ? '-' : '+'}${abs / 60}`;
  const two = (n: number): string => String(n).padStart(2, '0');
  return `UTC${minutes > 0 ? '+' : '-'}${two(Math.trunc(abs / 60))}:${two(abs % 60)}`;
}

/** Wall clock of `instant` in `zone`. Throws RangeError for an unknown zone. */
export function wallClock(instant: Date, zone: string): WallClock {
  const fixed = fixedOffsetMinutes(zone);
  if (fixed !== null) return wallClock(new Date(instant.getTime() + fixed * 60_000), 'UTC');
  const parts = partsFormatter(zone).formatToParts(instant);
  const get = (type: Intl.DateTimeFormatPartTypes): number => {
    const p = parts.find((x) => x.type === type);
    return p ? Number(p.value) : 0;
  };
  const era = parts.find((x) => x.type === 'era')?.value ?? 'AD';
  const year = era.startsWith('B') ? 1 - get('year') : get('year');
  // Some ICU versions print midnight as 24 even with h23.
  const hour = get('hour') % 24;
  return { year, month: get('month'), day: get('day'), hour, minute: get('minute'), second: get('second') };
}

/** Milliseconds since the epoch of a wall clock read as if it were UTC. */
export function wallToUtcMs(w: WallClock): number {
  const d = new Date(Date.UTC(2000, w.month - 1, w.day, w.hour, w.minute, w.second));
  d.setUTCFullYear(w.year); // Date.UTC maps years 0–99 to 1900–1999
  return d.getTime();
}

/** UTC offset of `zone` at `instant`, in milliseconds (east positive: EAT is +3 h). */
export function zoneOffsetMs(instant: Date, zone: string): number {
  const fixed = fixedOffsetMinutes(zone);
  if (fixed !== null) return fixed * 60_000;
  const ms = instant.getTime();
  const whole = ms - (((ms % 1000) + 1000) % 1000);
  return wallToUtcMs(wallClock(new Date(whole), zone)) - whole;
}

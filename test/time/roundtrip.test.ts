import { describe, expect, it } from 'vitest';
import { formatInstant, type FormatOptions } from '../../src/time/format.js';
import { parseLeadingTime } from '../../src/time/parse.js';
import { zoneOffsetMs } from '../../src/time/zones.js';

// Every time the bot writes (cards, timeline, replies) may be copied into a note. Read back in
// the zone it names, it must be the same instant: no refused abbreviation (IST), none read as
// another offset, and in a DST overlap the abbreviation picks the right one of the two readings.

const ZONES = [
  'Africa/Nairobi', 'Asia/Kolkata', 'Europe/Berlin', 'America/New_York', 'Australia/Adelaide',
  'Asia/Kathmandu', 'America/St_Johns', 'UTC',
];
const FORMATS: FormatOptions[] = [{}, { date: 'long', clock: '12h' }];
const MINUTE = 60_000;
const FROM = Date.UTC(2023, 0, 1);
const TO = Date.UTC(2025, 0, 1);

/** Instants every 17h13m over two years, and every 15 minutes for 3 hours either side of each offset change. */
function instants(zone: string): number[] {
  const found = new Set<number>();
  for (let t = FROM; t < TO; t += 1033 * MINUTE) found.add(t);
  for (let t = FROM; t < TO; t += 60 * MINUTE) {
    if (zoneOffsetMs(new Date(t), zone) === zoneOffsetMs(new Date(t + 60 * MINUTE), zone)) continue;
    for (let d = -180; d <= 240; d += 15) found.add(t + d * MINUTE);
  }
  return [...found];
}

describe('a written time reads back as the same instant', () => {
  it.each(ZONES)('in %s, across DST', (zone) => {
    const failures: string[] = [];
    for (const t of instants(zone)) {
      for (const opts of FORMATS) {
        const written = formatInstant(new Date(t), zone, opts);
        const r = parseLeadingTime(`${written} pasted back`, {
          now: new Date(TO),
          userZone: 'Pacific/Honolulu',
          teamZone: 'Asia/Tokyo',
          aliases: {},
        });
        const back = r.ok ? r.time?.instant.getTime() : undefined;
        if (back !== t) failures.push(`${new Date(t).toISOString()} written “${written}” read ${r.ok ? String(back && new Date(back).toISOString()) : r.error}`);
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
  });
});

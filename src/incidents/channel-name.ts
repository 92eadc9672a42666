import { withoutEmojiShortcodes } from '../text/emoji.js';
import { wallClock } from '../time/zones.js';

/** Slack's limit for channel names. */
export const MAX_CHANNEL_NAME = 80;
// Room kept at the end of a name for the "-12345" that makes it free on collision.
const SUFFIX_ROOM = 7;

/** Title → the part of a channel name Slack accepts: lowercase ASCII letters, digits and single hyphens. */
export function slugify(title: string, maxLength: number): string {
  const ascii = withoutEmojiShortcodes(title)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  if (ascii.length <= maxLength) return ascii || 'incident';
  const cut = ascii.slice(0, maxLength);
  const lastHyphen = cut.lastIndexOf('-');
  // Prefer cutting at a word boundary when that keeps most of the room.
  return (lastHyphen > maxLength / 2 ? cut.slice(0, lastHyphen) : cut).replace(/-+$/, '');
}

function ymdInZone(instant: Date, timeZone: string): string {
  const { year, month, day } = wallClock(instant, timeZone);
  return `${year}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
}

/** `<prefix>-<yyyymmdd>-<slug>`, always short enough to take a collision suffix. */
export function baseChannelName(prefix: string, title: string, openedAt: Date, timeZone: string): string {
  const head = `${prefix}-${ymdInZone(openedAt, timeZone)}-`;
  return head + slugify(title, MAX_CHANNEL_NAME - SUFFIX_ROOM - head.length);
}

/**
 * The names to try in order when Slack answers `name_taken`: the base, a few short suffixes people
 * find natural, then the incident id (unique among our incidents), then random ones.
 */
export function* channelNameCandidates(base: string, incidentId: number, random: () => string): Generator<string> {
  yield base;
  for (let n = 2; n <= 4; n += 1) yield `${base}-${n}`;
  yield `${base}-${incidentId}`;
  for (;;) yield `${base}-${random()}`;
}

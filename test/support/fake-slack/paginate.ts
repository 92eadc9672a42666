import { SlackApiError, type Args } from './args.js';

export interface Page<T> {
  items: T[];
  /** `''` on the last page, as Slack sends it. */
  nextCursor: string;
}

export function encodeCursor(kind: string, key: string): string {
  return Buffer.from(`${kind}:${key}`).toString('base64');
}

export function decodeCursor(cursor: string, kind: string): string {
  const decoded = Buffer.from(cursor, 'base64').toString('utf8');
  if (!decoded.startsWith(`${kind}:`)) throw new SlackApiError('invalid_cursor');
  return decoded.slice(kind.length + 1);
}

/** `limit` as Slack reads it: absent or 0 means the method's default; capped at `max`. */
export function pageLimit(args: Args, fallback: number, max = 1000): number {
  const limit = args.int('limit');
  if (limit === undefined || limit <= 0) return fallback;
  return Math.min(limit, max);
}

/**
 * Cursor pagination over a list in a stable order. The cursor names the first item of the next
 * page (Slack's look: base64 of `user:U061NFTT2`), so inserts elsewhere don't shift pages.
 */
export function paginate<T>(items: readonly T[], keyOf: (item: T) => string, args: Args, kind: string, fallbackLimit = 100): Page<T> {
  const limit = pageLimit(args, fallbackLimit);
  let start = 0;
  const cursor = args.str('cursor');
  if (cursor !== undefined && cursor !== '') {
    const key = decodeCursor(cursor, kind);
    start = items.findIndex((item) => keyOf(item) === key);
    if (start === -1) throw new SlackApiError('invalid_cursor');
  }
  const page = items.slice(start, start + limit);
  const next = items[start + limit];
  return { items: page, nextCursor: next === undefined ? '' : encodeCursor(kind, keyOf(next)) };
}

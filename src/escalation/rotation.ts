import type { WallClock } from '../time/zones.js';
import { wallMs, type Rotation } from './settings.js';

const DAY_MS = 86_400_000;

export interface OnCall {
  user: string;
  /** Whether an override, not the regular turn, put this person on call. */
  override: boolean;
}

export interface Handoff {
  at: Date;
  next: OnCall;
}

function addDays(w: WallClock, days: number): WallClock {
  const d = new Date(Date.UTC(w.year, w.month - 1, w.day + days, 12));
  return { ...w, year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The k-th regular hand-off: the start's wall time, k × length calendar days later, in the zone. */
function handoffMs(r: Rotation, k: number): number {
  return wallMs(addDays(r.start, k * r.lengthDays), r.zone);
}

/**
 * The turn in force at `ms`: the largest k whose hand-off is at or before it. Before the
 * start k is negative: the order runs backwards in time too, so a tier is never empty.
 */
function turnAt(r: Rotation, ms: number): number {
  const first = handoffMs(r, 0);
  let k = Math.floor((ms - first) / (r.lengthDays * DAY_MS));
  // The estimate is off by at most one turn where DST shortened or lengthened a day.
  while (handoffMs(r, k + 1) <= ms) k += 1;
  while (handoffMs(r, k) > ms) k -= 1;
  return k;
}

function regularUser(r: Rotation, k: number): string {
  const n = r.users.length;
  return r.users[((k % n) + n) % n] as string;
}

/** Who is on call at `at`: an override covering it wins, otherwise whoever's turn it is. */
export function onCallAt(r: Rotation, at: Date): OnCall {
  const ms = at.getTime();
  const override = r.overrides.find((o) => o.fromMs <= ms && ms < o.toMs);
  if (override) return { user: override.user, override: true };
  return { user: regularUser(r, turnAt(r, ms)), override: false };
}

function nextEdge(r: Rotation, ms: number): number {
  let edge = handoffMs(r, turnAt(r, ms) + 1);
  for (const o of r.overrides) {
    for (const t of [o.fromMs, o.toMs]) if (t > ms && t < edge) edge = t;
  }
  return edge;
}

/**
 * The next moment after `at` when someone else goes on call, and who. Edges where nobody
 * changes (an override for the person whose turn it is anyway) are passed over; with a
 * single-person rotation that is the next regular hand-off.
 */
export function nextHandoff(r: Rotation, at: Date): Handoff {
  const current = onCallAt(r, at).user;
  let edge = nextEdge(r, at.getTime());
  for (let step = 0; step < r.users.length + 2 * r.overrides.length; step += 1) {
    const next = onCallAt(r, new Date(edge));
    if (next.user !== current) return { at: new Date(edge), next };
    edge = nextEdge(r, edge);
  }
  return { at: new Date(edge), next: onCallAt(r, new Date(edge)) };
}

// Lock evidence as the timeline stores it (event `data` of `/locks` snapshots and actions),
// read once into typed values; and the setting changes that evidence argues for.
import { z } from 'zod';
import { formatDuration } from '../time/format.js';
import type { TimelineEvent } from '../timeline/model.js';
import type { LockAction, LockSnapshot } from './model.js';

const num = z.number().finite().nullable().optional().transform((v) => v ?? null);
const str = z.string().nullable().optional().transform((v) => v ?? null);

// The shape `/locks` gives a lock_snapshot event's data.
const rootSchema = z.object({
  pid: z.number().int().nullable(),
  preparedGid: str,
  user: str,
  application: str,
  state: str,
  inStateMs: num,
  xactAgeMs: num,
  holds: z.array(z.object({ relation: z.string(), mode: z.string() })).default([]),
  blocksTotal: z.number().int().nonnegative().default(0),
  waiters: z.array(z.object({ count: z.number().int().nonnegative(), wait: z.string(), mode: z.string() })).default([]),
});

const snapshotSchema = z.object({
  database: z.string(),
  at: z.iso.datetime({ offset: true }).optional(),
  blockedTotal: z.number().int().nonnegative().optional(),
  roots: z.array(rootSchema),
  suggestions: z.array(z.string()).default([]),
});

const actionSchema = z.object({
  lockAction: z.object({
    action: z.enum(['terminate', 'cancel']),
    pid: z.number().int(),
    database: str,
    succeeded: z.boolean().default(true),
  }),
});

/** `/locks` snapshots recorded on the timeline; an entry whose data has another shape is skipped. */
export function snapshotsFrom(events: readonly TimelineEvent[]): LockSnapshot[] {
  const out: LockSnapshot[] = [];
  for (const e of events) {
    if (e.kind !== 'lock_snapshot') continue;
    const parsed = snapshotSchema.safeParse(e.data);
    if (!parsed.success) continue;
    const { database, at, roots, suggestions } = parsed.data;
    const blockedTotal = parsed.data.blockedTotal ?? roots.reduce((n, r) => n + r.blocksTotal, 0);
    out.push({ takenAt: at !== undefined ? new Date(at) : e.occurredAt, database, blockedTotal, takenBy: e.authorId, roots, suggestions, sourceTs: e.sourceTs });
  }
  return out;
}

/** Cancel/terminate actions taken from Slack, recorded as timeline events with `data.lockAction`. */
export function actionsFrom(events: readonly TimelineEvent[]): LockAction[] {
  const out: LockAction[] = [];
  for (const e of events) {
    const parsed = actionSchema.safeParse(e.data);
    if (!parsed.success || e.authorId === null) continue;
    out.push({ ...parsed.data.lockAction, by: e.authorId, at: e.occurredAt });
  }
  return out;
}

export interface Suggestion {
  setting: string;
  text: string;
  /** Our own Markdown (true), or text from the /locks inspection to escape (false). */
  markdown: boolean;
}

const isIdleInTransaction = (state: string | null): boolean => state?.startsWith('idle in transaction') ?? false;
const DDL_MODE = 'AccessExclusiveLock';

/** Concrete settings the evidence points at, each said once, in a fixed order. */
export function suggestionsFrom(snapshots: readonly LockSnapshot[]): Suggestion[] {
  const roots = snapshots.flatMap((s) => s.roots);
  const out: Suggestion[] = [];
  const idle = roots.filter((r) => isIdleInTransaction(r.state));
  if (idle.length > 0) {
    const longest = Math.max(...idle.map((r) => r.inStateMs ?? 0));
    out.push({
      setting: 'idle_in_transaction_session_timeout',
      markdown: true,
      text: `An idle-in-transaction session held the root lock (idle for up to ${formatDuration(longest)}): set \`idle_in_transaction_session_timeout\` (for example \`60s\`) for the application's role so an abandoned transaction cannot block others.`,
    });
  }
  const ddlQueue = roots.some(
    (r) => r.holds.some((h) => h.mode === DDL_MODE) || r.waiters.some((w) => w.mode === DDL_MODE || /\bALTER\b/i.test(w.wait)),
  );
  if (ddlQueue) {
    out.push({
      setting: 'lock_timeout',
      markdown: true,
      text: 'A DDL statement (ACCESS EXCLUSIVE) was part of the lock queue: run migrations with `SET lock_timeout` (for example `5s`) and retry, so a waiting ALTER does not stall every query behind it.',
    });
  }
  if (snapshots.some((s) => s.blockedTotal > 0)) {
    out.push({
      setting: 'log_lock_waits',
      markdown: true,
      text: 'Sessions waited on locks: enable `log_lock_waits` (with `deadlock_timeout` as the threshold) so the next contention is in the server log with its queries.',
    });
  }
  const seen = new Set(out.map((s) => s.setting));
  for (const text of snapshots.flatMap((s) => s.suggestions)) {
    if (!seen.has(text)) {
      seen.add(text);
      out.push({ setting: text, text, markdown: false });
    }
  }
  return out;
}

// Replays the seed postmortem's incident (its timeline as typed, in EAT, with "13:17pm") through
// the real note-time parser, adds the lock contention it describes, and checks the draft.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composePostmortem } from '../../src/postmortem/compose.js';
import { snapshotsFrom } from '../../src/postmortem/evidence.js';
import { parseLeadingTime } from '../../src/time/parse.js';
import type { EventKind } from '../../src/timeline/model.js';
import { event, incident, input, seedSnapshotData, settings } from './inputs.js';

const seed = readFileSync(new URL('../fixtures/seed-postmortem.md', import.meta.url), 'utf8');
const seedSections = [...seed.matchAll(/^\*\*(.+?):\*\*/gm)].map((m) => m[1] ?? '');
const typedLines = seed
  .slice(seed.indexOf('**Incident Timeline:**'), seed.indexOf('**Root Cause:**'))
  .split('\n')
  .filter((l) => /^[-*+] July/.test(l));

// What each seed line was in Firebreak: the commands the team would have typed.
const KINDS: { kind: EventKind; data?: Record<string, unknown> }[] = [
  { kind: 'open' },
  { kind: 'ack' },
  { kind: 'page' },
  { kind: 'status', data: { from: 'investigating', to: 'identified' } },
  { kind: 'status', data: { from: 'identified', to: 'monitoring' } },
  { kind: 'note' },
  { kind: 'close' },
];

function replay(): { markdown: string; warnings: string[] } {
  const ctx = { now: new Date('2023-07-23T12:00:00Z'), userZone: null, teamZone: 'Africa/Nairobi', aliases: {} };
  const warnings: string[] = [];
  const events = typedLines.map((line, i) => {
    const parsed = parseLeadingTime(line, ctx);
    if (!parsed.ok || parsed.time === null) throw new Error(`seed line not read: ${line}`);
    warnings.push(...parsed.time.warnings);
    const spec = KINDS[i] ?? { kind: 'note' };
    return event(spec.kind, parsed.time.instant, parsed.rest, { data: spec.data ?? {}, typedTime: parsed.time.typed, zoneUsed: parsed.time.zone });
  });
  const snapshot = event('lock_snapshot', new Date('2023-07-23T10:10:00Z'), 'Lock snapshot', { data: seedSnapshotData });
  const all = [...events, snapshot].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  const opened = events[0]?.occurredAt ?? new Date(0);
  const closed = events.at(-1)?.occurredAt ?? null;
  const markdown = composePostmortem(
    input({
      incident: incident({ openedAt: opened, closedAt: closed, closeSummary: 'Concurrent write operations leading to lock contention.' }),
      events: all,
      snapshots: snapshotsFrom(all),
      settings: settings({ clock: '12h' }),
    }),
  );
  return { markdown, warnings };
}

describe('the seed incident, replayed', () => {
  const { markdown, warnings } = replay();

  it('reads all seven typed times, and says that "13:17pm" was read as 13:17', () => {
    expect(typedLines).toHaveLength(7);
    expect(warnings.some((w) => w.includes('13:17pm'))).toBe(true);
  });

  it('has every section of the seed', () => {
    expect(seedSections).toEqual(expect.arrayContaining(['Incident Summary', 'Incident Timeline', 'Root Cause', 'Conclusion']));
    for (const title of seedSections) expect(markdown, title).toContain(`## ${title}`);
  });

  it('writes the seven times in EAT, in order, with 13:17 as 1:17 PM and never 13:17pm', () => {
    const timeline = markdown.slice(markdown.indexOf('## Incident Timeline'), markdown.indexOf('## Root Cause'));
    const times = [...timeline.matchAll(/^- \*\*(.+?)\*\*/gm)].map((m) => m[1]);
    // The seed's seven, plus the /locks snapshot taken at 1:10 PM.
    expect(times).toEqual(['12:34 PM EAT', '12:37 PM EAT', '12:55 PM EAT', '1:10 PM EAT', '1:17 PM EAT', '1:23 PM EAT', '1:51 PM EAT', '2:21 PM EAT']);
    expect(markdown).not.toMatch(/13:\d\d\s*pm/i);
    expect(timeline).toContain('All times are in EAT (Africa/Nairobi), July 23, 2023.');
  });

  it('measures from the 12:34 detection: acknowledged in 3m, mitigated in 49m, resolved in 1h 47m', () => {
    expect(markdown).toContain('| Time to acknowledge[^tta] | 3m |');
    expect(markdown).toContain('| Time to mitigate[^ttm] | 49m |');
    expect(markdown).toContain('| Time to resolve[^ttr] | 1h 47m |');
    expect(markdown).toContain('- **Duration:** 1h 47m');
  });

  it('shows the contention and the settings it argues for', () => {
    expect(markdown).toContain('pid 4242 (app, checkout-api), idle in transaction for 21m');
    expect(markdown).toContain('idle_in_transaction_session_timeout');
    expect(markdown).toContain('lock_timeout');
    expect(markdown).toContain('log_lock_waits');
  });
});

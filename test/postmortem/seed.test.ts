import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { composePostmortem, SECTIONS } from '../../src/postmortem/compose.js';
import type { PostmortemInput } from '../../src/postmortem/model.js';
import { parseLeadingTime } from '../../src/time/parse.js';
import type { TimelineEvent } from '../../src/timeline/model.js';

const SEED = readFileSync(new URL('../fixtures/seed-postmortem.md', import.meta.url), 'utf8');
const ZONE = 'Africa/Nairobi';
const NOW = new Date('2023-07-23T12:30:00Z'); // 15:30 EAT, after the last entry

/** The seed's timeline entries, as its authors typed them: "July 23, 2023  13:17pm: Root cause…". */
function seedEntries(): { typed: string; text: string }[] {
  return SEED.split('\n')
    .map((line) => /^[-*+] (July 23, 2023,?\s+\d{1,2}:\d{2}(?:am|pm)): (.*)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ typed: m[1]!, text: m[2]! }));
}

let nextId = 1;
function event(kind: TimelineEvent['kind'], occurredAt: Date, text: string, data: Record<string, unknown> = {}, authorId = 'U0AMINA01'): TimelineEvent {
  return {
    id: nextId++, incidentId: 7, occurredAt, recordedAt: NOW, kind, authorId, text, typedTime: null, typedZone: null,
    zoneUsed: null, warnings: [], sourceTs: null, data,
  };
}

function eat(hhmm: string): Date {
  return new Date(`2023-07-23T${hhmm}:00+03:00`);
}

function replay(clock: '24h' | '12h' = '24h'): string {
  const notes = seedEntries().map(({ typed, text }) => {
    const parsed = parseLeadingTime(`${typed} EAT ${text}`, { now: NOW, userZone: 'Europe/Berlin', teamZone: ZONE, aliases: {} });
    if (!parsed.ok || !parsed.time) throw new Error(`the seed line "${typed}" did not parse: ${JSON.stringify(parsed)}`);
    return event('note', parsed.time.instant, parsed.rest);
  });
  const lockSnapshot = event('lock_snapshot', eat('13:10'), 'locks', {
    database: 'main',
    at: eat('13:10').toISOString(),
    blockedTotal: 12,
    roots: [{
      pid: 4242, user: 'billing', application: 'billing-worker', state: 'idle in transaction', inStateMs: 422_000,
      xactAgeMs: 450_000, holds: [{ relation: 'public.accounts', mode: 'RowExclusiveLock' }], blocksTotal: 12,
      waiters: [{ count: 11, wait: 'row (0,2) of public.accounts', mode: 'ExclusiveLock' }, { count: 1, wait: 'transaction of pid 4242', mode: 'ShareLock' }],
    }],
    suggestions: [],
  });
  const events = [
    event('open', eat('12:36'), 'Incident opened (SEV2): Database lock'),
    ...notes,
    event('ack', eat('12:55'), 'Acknowledged by the DBA on call', {}, 'U0DBA0001'),
    lockSnapshot,
    event('status', eat('13:17'), 'Status investigating → identified', { from: 'investigating', to: 'identified' }),
    event('status', eat('13:23'), 'Status identified → monitoring', { from: 'identified', to: 'monitoring' }),
    event('close', eat('14:21'), 'Incident closed: concurrent writes on one row', { summary: 'concurrent writes on one row' }),
  ];
  const input: PostmortemInput = {
    incident: {
      id: 7, title: 'Database lock', severity: 1, leadUserId: 'U0DBA0001', openedBy: 'U0AMINA01', openedAt: eat('12:36'),
      closedAt: eat('14:21'), closeSummary: 'Concurrent write operations on the same rows led to lock contention.',
      channelId: 'C0INC0001', channelName: 'inc-20230723-database-lock',
    },
    events,
    messages: [],
    zone: ZONE,
    clock,
    workspaceUrl: 'https://acme.slack.com',
    names: { U0AMINA01: 'amina', U0DBA0001: 'dba-oncall' },
    version: 1,
    generatedAt: eat('14:30'),
  };
  return composePostmortem(input);
}

describe('the seed postmortem, replayed', () => {
  it('reads all seven of the seed’s timeline entries as typed', () => {
    expect(seedEntries()).toHaveLength(7);
  });

  it('has every section of the seed', () => {
    const draft = replay();
    const seedSections = [...SEED.matchAll(/^\*\*([^*:]+):?\*\*/gm)].map((m) => m[1]!.trim());
    expect(seedSections).toEqual(expect.arrayContaining(['Incident Summary', 'Incident Timeline', 'Root Cause', 'Mitigation and Resolution', 'Conclusion']));
    for (const title of SECTIONS) expect(draft).toContain(`\n## ${title}\n`);
  });

  it('writes the seven times in EAT, in order, each in one correct form', () => {
    const draft = replay();
    const timeline = draft.slice(draft.indexOf('## Timeline'), draft.indexOf('## Root Cause'));
    const noteTimes = [...timeline.matchAll(/\*\*(\d{2}:\d{2}) EAT\*\* · note/g)].map((m) => m[1]);
    expect(noteTimes).toEqual(['12:34', '12:37', '12:55', '13:17', '13:23', '13:51', '14:21']);
    expect(draft).not.toMatch(/1[3-9]:\d{2}\s*[ap]m/i);
    expect(timeline).toContain('All times are Africa/Nairobi (EAT)');
    const twelve = replay('12h');
    expect(twelve).toContain('**1:17 PM EAT** · note');
    expect(twelve).not.toContain('13:17');
  });

  it('gets the durations right: acknowledged 21 min, mitigated 49 min, resolved 1 h 47 min after detection at 12:34', () => {
    const draft = replay();
    expect(draft).toContain('| Detected | July 23, 2023, 12:34 EAT |');
    expect(draft).toContain('- Time to acknowledge: 21m');
    expect(draft).toContain('- Time to mitigate: 49m');
    expect(draft).toContain('- Time to resolve: 1h 47m');
    expect(draft).toContain('Detect to acknowledge :p1, 2023-07-23 12:34, 2023-07-23 12:55');
  });

  it('turns the lock evidence into the root blocker and concrete prevention', () => {
    const draft = replay();
    expect(draft).toContain('Root **pid 4242** (billing, billing-worker): idle in transaction for 7m 02s');
    expect(draft).toContain('11 × waiting for row (0,2) of public.accounts');
    expect(draft).toContain('`idle_in_transaction_session_timeout`');
  });
});

import { describe, expect, it } from 'vitest';
import { composePostmortem, PLACEHOLDER, SECTION_TITLES } from '../../src/postmortem/compose.js';
import { actionsFrom, snapshotsFrom } from '../../src/postmortem/evidence.js';
import { escapeInline, slackTokensToText } from '../../src/postmortem/escape.js';
import { messageLink } from '../../src/postmortem/links.js';
import { event, incident, input, seedSnapshotData, settings } from './inputs.js';

const section = (md: string, title: string): string => {
  const start = md.indexOf(`## ${title}\n`);
  const next = md.indexOf('\n## ', start + 1);
  return md.slice(start, next === -1 ? undefined : next);
};

describe('an incident with nothing recorded', () => {
  const md = composePostmortem(input({ incident: incident({ closedAt: null, leadUserId: null }) }));

  it('still has every section, each saying what is missing', () => {
    for (const title of SECTION_TITLES) expect(md).toContain(`\n## ${title}\n`);
    expect(section(md, 'Incident Timeline')).toContain('No timeline entries were recorded.');
    expect(section(md, 'Lock Evidence')).toContain('No lock snapshots were taken');
    expect(section(md, 'Channel Messages')).toContain('No channel messages were captured.');
    expect(section(md, 'Root Cause')).toContain(PLACEHOLDER);
    expect(section(md, 'Incident Summary')).toContain('**Resolved:** not yet resolved');
    expect(section(md, 'Incident Summary')).toContain('**Lead:** nobody was set as lead');
    expect(section(md, 'Key Durations')).toContain('| Time to acknowledge[^tta] | not recorded |');
  });

  it('defines each duration in a footnote', () => {
    for (const note of ['[^tta]:', '[^ttm]:', '[^ttr]:']) expect(md).toContain(`\n${note} `);
  });
});

describe('text people typed', () => {
  const hostile = '# Heading\n- item | cell ``` <https://evil.example|click> <img src=x> <!channel> <@U0BOB> [x](y)';

  it('cannot open a heading, list, table cell, code fence, HTML or link', () => {
    const md = composePostmortem(input({
      incident: incident({ title: hostile, closeSummary: hostile }),
      events: [event('note', new Date('2023-07-23T09:40:00Z'), hostile)],
      messages: [{ ts: '1690105200.000100', userId: 'U0BOB', text: hostile, threadTs: null }],
      settings: settings({ userNames: { U0BOB: 'bob' } }),
    }));
    expect(md.split('\n').filter((l) => /^#{1,6} /.test(l)).every((l) => !l.includes('Heading') || l.startsWith('# Postmortem: \\# Heading'))).toBe(true);
    expect(md).not.toContain('<img');
    expect(md.split('\n').filter((l) => l.includes('```'))).toEqual(['```mermaid', '```']);
    expect(md).not.toContain('](https://evil');
    expect(md).not.toContain('<!channel>');
    expect(md).toContain('@channel');
    expect(md).toContain('@bob');
    expect(section(md, 'Root Cause')).toContain('\\# Heading\n\\- item \\| cell');
  });

  it('turns Slack tokens into words', () => {
    expect(slackTokensToText('<@U1> <@U2|ann> <!here> <#C1|ops> <!subteam^S1|@dba> <https://x.io|docs> <https://y.io>', { U1: 'bob' }))
      .toBe('@bob @ann @here #ops @dba docs (https://x.io) https://y.io');
    expect(escapeInline('1. first')).toBe('1\\. first');
    expect(escapeInline('- dash')).toBe('\\- dash');
  });
});

describe('times', () => {
  const events = [
    event('open', new Date('2023-07-23T09:34:00Z'), 'Opened', { sourceTs: '1690104840.000100' }),
    event('note', new Date('2023-07-24T10:17:00Z'), 'Root cause found'),
  ];

  it('are written in the team zone, in one clock form, with a date heading per day', () => {
    const md12 = composePostmortem(input({ events, settings: settings({ clock: '12h' }) }));
    const tl = section(md12, 'Incident Timeline');
    expect(tl).toContain('### July 23, 2023');
    expect(tl).toContain('### July 24, 2023');
    expect(tl).toContain('- **1:17 PM EAT** Root cause found');
    expect(md12).not.toMatch(/\b(1[3-9]|2\d):\d\d\s*[AP]M/i);
    const md24 = composePostmortem(input({ events }));
    expect(section(md24, 'Incident Timeline')).toContain('- **13:17 EAT** Root cause found');
    expect(md24).not.toMatch(/\d:\d\d\s*[AP]M/i);
  });

  it('carry the abbreviation of their own moment across a DST change', () => {
    const md = composePostmortem(input({
      incident: incident({ openedAt: new Date('2026-03-29T00:30:00Z'), closedAt: new Date('2026-03-29T01:30:00Z') }),
      events: [event('open', new Date('2026-03-29T00:30:00Z'), 'Opened'), event('close', new Date('2026-03-29T01:30:00Z'), 'Closed')],
      settings: settings({ zone: 'Europe/Berlin' }),
    }));
    const tl = section(md, 'Incident Timeline');
    expect(tl).toContain('All times are in CET/CEST (Europe/Berlin)');
    expect(tl).toContain('**01:30 CET** Opened');
    expect(tl).toContain('**03:30 CEST** Closed');
  });

  it('link to their Slack message, by web permalink or deep link', () => {
    expect(section(composePostmortem(input({ events })), 'Incident Timeline')).toContain('([message](https://acme.slack.com/archives/C0INC/p1690104840000100))');
    expect(messageLink(null, 'T1', 'C1', '1690104840.000100')).toBe('slack://channel?team=T1&id=C1&message=1690104840.000100');
    expect(messageLink('https://acme.slack.com/', 'T1', 'C1', '2.000200', '1.000100')).toBe('https://acme.slack.com/archives/C1/p2000200?thread_ts=1.000100&cid=C1');
  });
});

describe('response and evidence', () => {
  const t = (hhmm: string): Date => new Date(`2023-07-23T${hhmm}:00Z`);
  const events = [
    event('open', t('09:30'), 'Opened'),
    event('note', t('09:20'), 'Users reported errors'),
    event('page', t('09:31'), 'Paged <@U0DBA>'),
    event('ack', t('09:36'), 'Acknowledged', { authorId: 'U0DBA' }),
    event('lock_snapshot', t('09:40'), 'Lock snapshot', { data: seedSnapshotData, sourceTs: '1690105200.000100' }),
    event('note', t('09:45'), 'Terminated backend 4242', { authorId: 'U0DBA', data: { lockAction: { action: 'terminate', pid: 4242, database: 'main' } } }),
    event('status', t('10:00'), 'Status identified → monitoring', { data: { from: 'identified', to: 'monitoring' } }),
    event('close', t('10:20'), 'Incident closed'),
  ];
  const md = composePostmortem(input({
    incident: incident({ openedAt: t('09:30'), closedAt: t('10:20') }),
    events, snapshots: snapshotsFrom(events), actions: actionsFrom(events),
    settings: settings({ userNames: { U0DBA: 'dana' } }),
  }));

  it('measure from the earliest (backdated) entry; a terminated root counts as mitigation', () => {
    expect(md).toContain('- **Detected:** July 23, 2023, 12:20 EAT');
    expect(md).toContain('| Time to acknowledge[^tta] | 16m |');
    expect(md).toContain('| Time to mitigate[^ttm] | 25m |');
    expect(md).toContain('| Time to resolve[^ttr] | 1h |');
  });

  it('say who terminated which session', () => {
    expect(section(md, 'Mitigation and Resolution')).toMatch(/1\. 12:45 EAT: @dana terminated the session of backend 4242 on main\n2\. 13:00 EAT: Status identified → monitoring/);
  });

  it('show each snapshot with its root blocker, waiters and tables', () => {
    const ev = section(md, 'Lock Evidence');
    expect(ev).toContain('### 13:10 EAT on main: 12 sessions blocked');
    expect(ev).toContain('[Snapshot message](https://acme.slack.com/archives/C0INC/p1690105200000100)');
    expect(ev).toContain('idle in transaction for 21m');
    expect(ev).toContain('Waiters: 12');
    expect(ev).toContain('    - 10 waiting for row (0,2) of public.orders (ShareLock)');
    expect(ev).toContain('Tables: public.orders (RowExclusiveLock)');
  });

  it('draw the phases as a Mermaid gantt in wall-clock time', () => {
    expect(section(md, 'Phases')).toContain('Until acknowledged :p1, 2023-07-23 12:20:00, 2023-07-23 12:36:00');
    expect(section(md, 'Phases')).toContain('Monitoring until resolved :p3, 2023-07-23 12:45:00, 2023-07-23 13:20:00');
  });

  it('is the same text every time', () => {
    expect(composePostmortem(input({ incident: incident({ openedAt: t('09:30'), closedAt: t('10:20') }), events, snapshots: snapshotsFrom(events), actions: actionsFrom(events), settings: settings({ userNames: { U0DBA: 'dana' } }) }))).toBe(md);
  });
});

describe('the channel transcript', () => {
  it('nests replies under their thread, in time order, replies to an uncaptured parent included', () => {
    const md = composePostmortem(input({ messages: [
      { ts: '1690105300.000100', userId: 'U2', text: 'second', threadTs: null },
      { ts: '1690105250.000100', userId: 'U1', text: 'reply', threadTs: '1690105200.000100' },
      { ts: '1690105200.000100', userId: 'U1', text: 'first', threadTs: null },
      { ts: '1690105400.000100', userId: 'U3', text: 'orphan', threadTs: '1690100000.000100' },
    ] }));
    const lines = section(md, 'Channel Messages').split('\n').filter((l) => l.includes('- ['));
    expect(lines.map((l) => l.replace(/^(\s*)- .*: /, '$1'))).toEqual(['thread parent not captured', '  orphan', 'first', '  reply', 'second']);
  });
});

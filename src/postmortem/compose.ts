// The postmortem draft as Markdown, from what the incident recorded. Pure and deterministic:
// the same input gives the same bytes (no clock, no randomness), so versions compare by content.
import { severityLabel } from '../incidents/model.js';
import { formatDate, formatDuration, formatInstant, zoneAbbreviation } from '../time/format.js';
import { wallClock } from '../time/zones.js';
import { tsToDate } from '../timeline/messages.js';
import type { TimelineEvent } from '../timeline/model.js';
import { escapeBlock, escapeInline, mermaidLabel } from './escape.js';
import { suggestionsFrom } from './evidence.js';
import { messageLink } from './links.js';
import type { CapturedMessage, LockSnapshot, PostmortemInput } from './model.js';
import { findPhases, keyDurations, type Phases } from './phases.js';
import { compareTs } from './ts.js';

export const SECTION_TITLES = [
  'Incident Summary',
  'Impact',
  'Key Durations',
  'Incident Timeline',
  'Root Cause',
  'Mitigation and Resolution',
  'Lock Evidence',
  'Preventive Measures and Recommendations',
  'Conclusion',
  'Phases',
  'Channel Messages',
] as const;

export const PLACEHOLDER = '**TODO:**';

class Writer {
  private readonly s: PostmortemInput['settings'];
  constructor(private readonly input: PostmortemInput) {
    this.s = input.settings;
  }
  at(d: Date): string {
    return formatInstant(d, this.s.zone, { date: 'long', clock: this.s.clock });
  }
  time(d: Date): string {
    return formatInstant(d, this.s.zone, { date: 'none', clock: this.s.clock });
  }
  person(id: string | null): string {
    if (id === null) return 'someone';
    return escapeInline(`@${this.s.userNames[id] ?? id}`);
  }
  text(t: string): string {
    return escapeInline(t, this.s.userNames);
  }
  link(ts: string, threadTs: string | null = null): string | null {
    const { channelId, teamId } = this.input.incident;
    return channelId === null ? null : messageLink(this.s.workspaceUrl, teamId, channelId, ts, threadTs);
  }
}

const orNone = (d: string | null, w: Writer, date: Date | null): string => (date === null ? d ?? 'not recorded' : w.at(date));
const dur = (ms: number | null): string => (ms === null ? 'not recorded' : formatDuration(ms));
const count = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;
const todo = (what: string): string => `> ${PLACEHOLDER} ${what}`;

function summary(input: PostmortemInput, w: Writer, p: Phases): string[] {
  const i = input.incident;
  const duration = p.resolved === null ? 'ongoing' : formatDuration(p.resolved.getTime() - p.detected.getTime());
  return [
    `- **Title:** ${w.text(i.title)}`,
    `- **Severity:** ${severityLabel(i.severity)}`,
    `- **Lead:** ${i.leadUserId === null ? 'nobody was set as lead' : w.person(i.leadUserId)}`,
    `- **Opened:** ${w.at(p.opened)}`,
    `- **Detected:** ${w.at(p.detected)}`,
    `- **Acknowledged:** ${orNone(null, w, p.acknowledged)}`,
    `- **Mitigated:** ${orNone(null, w, p.mitigated)}`,
    `- **Resolved:** ${orNone('not yet resolved', w, p.resolved)}`,
    `- **Duration:** ${duration}[^duration]`,
    ...(i.channelName !== null ? [`- **Channel:** \\#${w.text(i.channelName)}`] : []),
  ];
}

function impact(input: PostmortemInput): string[] {
  return [
    todo('describe who and what was affected (users, features, data), and for how long.'),
    '',
    `Recorded: ${severityLabel(input.incident.severity)}, ${count(input.events.length, 'timeline entry', 'timeline entries')}, ${count(input.messages.length, 'channel message', 'channel messages')}, ${count(input.snapshots.length, 'lock snapshot', 'lock snapshots')}.`,
  ];
}

function durations(p: Phases): string[] {
  const d = keyDurations(p);
  return [
    '| Measure | Duration |',
    '|---|---|',
    `| Time to acknowledge[^tta] | ${dur(d.toAcknowledge)} |`,
    `| Time to mitigate[^ttm] | ${dur(d.toMitigate)} |`,
    `| Time to resolve[^ttr] | ${dur(d.toResolve)} |`,
  ];
}

function eventText(e: TimelineEvent, w: Writer): string {
  const text = e.text.trim() === '' ? e.kind : e.text;
  return w.text(text);
}

function timeline(input: PostmortemInput, w: Writer): string[] {
  const { zone } = input.settings;
  const events = input.events;
  if (events.length === 0) return ['No timeline entries were recorded.'];
  const first = events[0]?.occurredAt ?? input.incident.openedAt;
  const days = new Set(events.map((e) => formatDate(e.occurredAt, zone)));
  const zones = [...new Set(events.map((e) => zoneAbbreviation(e.occurredAt, zone)))].join('/');
  const out = [`All times are in ${zones} (${zone})${days.size === 1 ? `, ${formatDate(first, zone, 'long')}` : ''}.`, ''];
  let day = '';
  for (const e of events) {
    const thisDay = formatDate(e.occurredAt, zone, 'long');
    if (days.size > 1 && thisDay !== day) {
      if (day !== '') out.push('');
      out.push(`### ${thisDay}`, '');
      day = thisDay;
    }
    const link = e.sourceTs !== null ? w.link(e.sourceTs) : null;
    const author = e.authorId !== null ? ` — ${w.person(e.authorId)}` : '';
    out.push(`- **${w.time(e.occurredAt)}** ${eventText(e, w)}${author}${link !== null ? ` ([message](${link}))` : ''}`);
  }
  return out;
}

function rootCause(input: PostmortemInput): string[] {
  const summaryText = input.incident.closeSummary?.trim() ?? '';
  if (summaryText === '') return [todo('no close summary was given: state the root cause here.')];
  return [escapeBlock(summaryText, input.settings.userNames)];
}

function mitigation(input: PostmortemInput, w: Writer): string[] {
  const steps: { at: Date; line: string }[] = [];
  for (const e of input.events) {
    if (e.kind === 'status' || e.kind === 'close' || e.kind === 'severity') {
      steps.push({ at: e.occurredAt, line: `${w.time(e.occurredAt)}: ${eventText(e, w)}${e.authorId !== null ? ` (${w.person(e.authorId)})` : ''}` });
    }
  }
  for (const a of input.actions) {
    const verb = a.action === 'terminate' ? 'terminated the session of' : 'cancelled the query of';
    const where = a.database !== null ? ` on ${w.text(a.database)}` : '';
    steps.push({ at: a.at, line: `${w.time(a.at)}: ${w.person(a.by)} ${verb} backend ${a.pid}${where}${a.succeeded ? '' : ' (it failed)'}` });
  }
  steps.sort((a, b) => a.at.getTime() - b.at.getTime());
  if (steps.length === 0) return ['No status changes or actions were recorded.', '', todo('describe what was done to mitigate and resolve.')];
  return [...steps.map((s, i) => `${i + 1}. ${s.line}`), '', todo('add the actions taken outside Slack.')];
}

const ms = (v: number | null): string => (v === null ? 'an unknown time' : formatDuration(v));

function snapshotLines(s: LockSnapshot, w: Writer): string[] {
  const link = s.sourceTs !== null ? w.link(s.sourceTs) : null;
  const by = s.takenBy !== null ? ` (taken by ${w.person(s.takenBy)})` : '';
  const out = [`### ${w.time(s.takenAt)} on ${w.text(s.database)}: ${count(s.blockedTotal, 'session', 'sessions')} blocked${by}`, ''];
  if (link !== null) out.push(`[Snapshot message](${link})`, '');
  if (s.roots.length === 0) return [...out, 'No session was blocking another.'];
  for (const r of s.roots) {
    const name = r.pid !== null ? `pid ${r.pid}` : `prepared transaction ${w.text(r.preparedGid ?? '')}`.trim();
    const who = [r.user, r.application].filter((x): x is string => x !== null && x !== '').map((x) => w.text(x)).join(', ');
    const state = r.state !== null ? `${w.text(r.state)} for ${ms(r.inStateMs)}` : 'state unknown';
    const xact = r.xactAgeMs !== null ? `, transaction open ${formatDuration(r.xactAgeMs)}` : '';
    out.push(`- **Root blocker:** ${name}${who !== '' ? ` (${who})` : ''}, ${state}${xact}`, `  - Waiters: ${r.blocksTotal}`);
    for (const g of r.waiters) out.push(`    - ${g.count} waiting for ${w.text(g.wait)} (${w.text(g.mode)})`);
    out.push(`  - Tables: ${r.holds.length === 0 ? 'none recorded' : r.holds.map((h) => `${w.text(h.relation)} (${w.text(h.mode)})`).join(', ')}`);
  }
  return out;
}

function lockEvidence(input: PostmortemInput, w: Writer): string[] {
  if (input.snapshots.length === 0) return ['No lock snapshots were taken (`/locks`).'];
  const out: string[] = [];
  for (const s of input.snapshots) out.push(...snapshotLines(s, w), '');
  return out.slice(0, -1);
}

function preventive(input: PostmortemInput, w: Writer): string[] {
  const derived = suggestionsFrom(input.snapshots).map((s) => (s.markdown ? s.text : w.text(s.text)));
  const out = derived.map((t, i) => `${i + 1}. ${t}`);
  if (derived.length === 0) out.push('No setting changes follow from the recorded evidence.');
  out.push('', todo('add follow-up actions, each with an owner and a due date.'));
  return out;
}

function conclusion(input: PostmortemInput, w: Writer, p: Phases): string[] {
  const i = input.incident;
  const resolved = p.resolved === null ? 'is not resolved yet' : `was resolved ${formatDuration(p.resolved.getTime() - p.detected.getTime())} after it was detected`;
  return [`${severityLabel(i.severity)} incident “${w.text(i.title)}” ${resolved}.`, '', todo('summarise what the team learned.')];
}

// Mermaid reads the dates as wall-clock times, so they are written in the configured zone.
function gantt(input: PostmortemInput, p: Phases): string[] {
  const zone = input.settings.zone;
  const stamp = (d: Date): string => {
    const c = wallClock(d, zone);
    const two = (n: number): string => String(n).padStart(2, '0');
    return `${c.year}-${two(c.month)}-${two(c.day)} ${two(c.hour)}:${two(c.minute)}:${two(c.second)}`;
  };
  const bars: [string, Date, Date][] = [];
  const end = p.resolved;
  if (p.acknowledged !== null) bars.push(['Until acknowledged', p.detected, p.acknowledged]);
  if (p.mitigated !== null) bars.push(['Investigation and mitigation', p.acknowledged ?? p.detected, p.mitigated]);
  if (end !== null) bars.push([p.mitigated !== null ? 'Monitoring until resolved' : 'Until resolved', p.mitigated ?? p.acknowledged ?? p.detected, end]);
  const valid = bars.filter(([, a, b]) => b.getTime() >= a.getTime());
  if (valid.length === 0) return ['Not enough phases were recorded to draw them.'];
  return [
    '```mermaid',
    'gantt',
    `  title ${mermaidLabel(`Incident ${input.incident.id} phases (${zoneAbbreviation(p.detected, zone)})`)}`,
    '  dateFormat YYYY-MM-DD HH:mm:ss',
    '  axisFormat %H:%M',
    '  section Response',
    ...valid.map(([name, a, b], n) => `  ${mermaidLabel(name)} :p${n + 1}, ${stamp(a)}, ${stamp(b)}`),
    '```',
  ];
}

function transcript(input: PostmortemInput, w: Writer): string[] {
  if (input.messages.length === 0) return ['No channel messages were captured.'];
  const replies = new Map<string, CapturedMessage[]>();
  const top: CapturedMessage[] = [];
  for (const m of input.messages) {
    if (m.threadTs !== null && m.threadTs !== m.ts) {
      const list = replies.get(m.threadTs) ?? [];
      list.push(m);
      replies.set(m.threadTs, list);
    } else top.push(m);
  }
  const line = (m: CapturedMessage, indent: string): string => {
    const link = w.link(m.ts, m.threadTs);
    const at = w.time(tsToDate(m.ts));
    return `${indent}- ${link !== null ? `[${at}](${link})` : at} ${w.person(m.userId)}: ${w.text(m.text)}`;
  };
  const out: string[] = [];
  const known = new Set(top.map((m) => m.ts));
  // Replies whose parent was not captured still belong in the record, under their own line.
  for (const parent of [...replies.keys()].filter((ts) => !known.has(ts))) top.push({ ts: parent, userId: null, text: 'thread parent not captured', threadTs: null });
  top.sort((a, b) => compareTs(a.ts, b.ts));
  for (const m of top) {
    out.push(line(m, ''));
    const thread = replies.get(m.ts);
    if (thread) for (const r of thread.sort((a, b) => compareTs(a.ts, b.ts))) out.push(line(r, '  '));
  }
  return out;
}

const FOOTNOTES = [
  '[^duration]: From detection to resolution.',
  '[^tta]: Time to acknowledge: from detection (the incident\'s opening, or the earliest timeline entry if one was backdated before it) to the first acknowledgement of a page (`/incident ack` or the Acknowledge button).',
  '[^ttm]: Time to mitigate: from detection to the first status `monitoring` or the first successful cancel or terminate of a blocking session, whichever came first.',
  '[^ttr]: Time to resolve: from detection to status `resolved` or `/incident close`, whichever came first.',
];

export function composePostmortem(input: PostmortemInput): string {
  const w = new Writer(input);
  const p = findPhases(input);
  const sections: Record<(typeof SECTION_TITLES)[number], string[]> = {
    'Incident Summary': summary(input, w, p),
    Impact: impact(input),
    'Key Durations': durations(p),
    'Incident Timeline': timeline(input, w),
    'Root Cause': rootCause(input),
    'Mitigation and Resolution': mitigation(input, w),
    'Lock Evidence': lockEvidence(input, w),
    'Preventive Measures and Recommendations': preventive(input, w),
    Conclusion: conclusion(input, w, p),
    Phases: gantt(input, p),
    'Channel Messages': transcript(input, w),
  };
  const out = [
    `# Postmortem: ${w.text(input.incident.title)}`,
    '',
    `_Draft written by Firebreak from incident ${input.incident.id}'s record. Edit it freely; lines marked ${PLACEHOLDER} are for the team to write._`,
  ];
  for (const title of SECTION_TITLES) out.push('', `## ${title}`, '', ...sections[title]);
  out.push('', '---', '', ...FOOTNOTES, '');
  return out.join('\n');
}

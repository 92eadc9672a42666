import { formatDuration, formatInstant, zoneAbbreviation } from '../time/format.js';
import { wallClock } from '../time/zones.js';
import type { TimelineEvent } from '../timeline/model.js';
import { escapeMarkdown, typedText } from './markdown.js';
import type { CapturedMessage, LockEvidence, PostmortemInput } from './model.js';
import { keyDurations, phasesOf, type Phases } from './phases.js';

export const SECTIONS = [
  'Incident Summary',
  'Impact',
  'Timeline',
  'Root Cause',
  'Mitigation and Resolution',
  'Lock Evidence',
  'Preventive Measures',
  'Conclusion',
] as const;

const TODO = (what: string) => `> _To be written by the team: ${what}_`;

const KIND_LABEL: Record<TimelineEvent['kind'], string> = {
  open: 'opened',
  note: 'note',
  status: 'status',
  severity: 'severity',
  lead: 'lead',
  page: 'page',
  ack: 'acknowledged',
  lock_snapshot: 'locks',
  pinned: 'pinned',
  close: 'closed',
};

interface Context {
  input: PostmortemInput;
  phases: Phases;
  locks: { event: TimelineEvent; evidence: LockEvidence }[];
  multiDay: boolean;
}

function who(ctx: Context, userId: string | null): string {
  if (!userId) return 'Firebreak';
  return `@${escapeMarkdown(ctx.input.names[userId] ?? userId)}`;
}

function at(ctx: Context, instant: Date, withDate = true): string {
  return formatInstant(instant, ctx.input.zone, { clock: ctx.input.clock, date: withDate ? 'long' : 'none' });
}

function dayKey(instant: Date, zone: string): string {
  const w = wallClock(instant, zone);
  return `${w.year}-${w.month}-${w.day}`;
}

function messageLink(ctx: Context, ts: string | null): string {
  const { workspaceUrl } = ctx.input;
  const channel = ctx.input.incident.channelId;
  if (!ts || !workspaceUrl || !channel) return '';
  return ` ([message](${workspaceUrl.replace(/\/$/, '')}/archives/${channel}/p${ts.replace('.', '')}))`;
}

/** A lock_snapshot event's data, if it has the shape the postmortem reads. */
export function lockEvidenceOf(event: TimelineEvent): LockEvidence | null {
  const data = event.data as Partial<LockEvidence>;
  if (event.kind !== 'lock_snapshot' || !Array.isArray(data.roots) || typeof data.database !== 'string') return null;
  return {
    database: data.database,
    at: typeof data.at === 'string' ? data.at : event.occurredAt.toISOString(),
    blockedTotal: Number(data.blockedTotal ?? 0),
    roots: data.roots,
    suggestions: Array.isArray(data.suggestions) ? data.suggestions : [],
  };
}

function rootLine(root: LockEvidence['roots'][number]): string {
  const name = root.pid !== null && root.pid !== 0 ? `pid ${root.pid}` : `prepared transaction ${root.preparedGid ?? ''}`.trim();
  const by = [root.user, root.application].filter(Boolean).map((s) => escapeMarkdown(String(s))).join(', ');
  const state = root.state ? `${escapeMarkdown(root.state)}${root.inStateMs !== null ? ` for ${formatDuration(root.inStateMs)}` : ''}` : 'state unknown';
  const xact = root.xactAgeMs !== null ? `, transaction open ${formatDuration(root.xactAgeMs)}` : '';
  const holds = root.holds.length
    ? `; holds ${root.holds.map((h) => `${escapeMarkdown(h.mode)} on ${escapeMarkdown(h.relation)}`).join(', ')}`
    : '';
  return `**${name}**${by ? ` (${by})` : ''}: ${state}${xact}${holds}; blocked ${root.blocksTotal} session${root.blocksTotal === 1 ? '' : 's'}`;
}

function describe(ctx: Context, event: TimelineEvent): string {
  if (event.kind === 'lead' && typeof event.data['to'] === 'string') return `lead is now ${who(ctx, event.data['to'])}`;
  if (event.kind === 'lock_snapshot') {
    const found = ctx.locks.find((l) => l.event.id === event.id)?.evidence;
    if (found) {
      const root = found.roots[0];
      return `\`/locks ${escapeMarkdown(found.database)}\`: ${found.blockedTotal} blocked${root ? `, root ${rootLine(root)}` : ', no blocking'}`;
    }
  }
  return typedText(event.text, ctx.input.names);
}

function summary(ctx: Context): string[] {
  const { incident } = ctx.input;
  const { phases } = ctx;
  const durations = keyDurations(phases);
  const severities = ctx.input.events.filter((e) => e.kind === 'severity').map((e) => Number(e.data['from']));
  const firstSeverity = severities[0] ?? incident.severity;
  const fmt = (d: Date | null, missing: string) => (d ? at(ctx, d) : `_${missing}_`);
  const span = (ms: number | null, missing: string) => (ms === null ? `_${missing}_` : formatDuration(ms));
  return [
    '| | |',
    '|---|---|',
    `| Incident | #${incident.id} ${escapeMarkdown(incident.title)} |`,
    `| Severity | SEV${incident.severity}${firstSeverity !== incident.severity ? ` (opened as SEV${firstSeverity})` : ''} |`,
    `| Lead | ${incident.leadUserId ? who(ctx, incident.leadUserId) : '_nobody was named_'} |`,
    `| Opened | ${at(ctx, phases.opened)} by ${who(ctx, incident.openedBy)} |`,
    `| Detected | ${at(ctx, phases.detected)} |`,
    `| Acknowledged | ${fmt(phases.acknowledged, 'no page was acknowledged')} |`,
    `| Mitigated | ${fmt(phases.mitigated, 'not yet')} |`,
    `| Resolved | ${fmt(phases.resolved, 'not yet')} |`,
    `| Duration | ${span(durations.resolve, 'still open')} |`,
    '',
    '**Key durations** (from detection¹):',
    `- Time to acknowledge: ${span(durations.acknowledge, 'no acknowledgement')}`,
    `- Time to mitigate: ${span(durations.mitigate, 'not mitigated')}`,
    `- Time to resolve: ${span(durations.resolve, 'not resolved')}`,
    '',
    '¹ Detected is the earliest recorded moment (a backdated note counts); acknowledged is the first ' +
      'acknowledgement of a page; mitigated is the first change to *monitoring* (else the resolution); ' +
      'resolved is the close.',
  ];
}

function impact(ctx: Context): string[] {
  const { incident, events, messages } = ctx.input;
  const people = new Set([...events.map((e) => e.authorId), ...messages.map((m) => m.userId)].filter((id): id is string => Boolean(id)));
  const peak = Math.max(0, ...ctx.locks.map((l) => l.evidence.blockedTotal));
  const duration = keyDurations(ctx.phases).resolve;
  const facts = [
    `- Severity SEV${incident.severity}${duration !== null ? ` for ${formatDuration(duration)}` : ', still open'}.`,
    `- ${people.size} ${people.size === 1 ? 'person' : 'people'} took part; ${messages.length} channel message${messages.length === 1 ? '' : 's'} were recorded.`,
  ];
  if (ctx.locks.length > 0) facts.push(`- Up to ${peak} database session${peak === 1 ? ' was' : 's were'} blocked (see Lock Evidence).`);
  return [TODO('who and what was affected: users, features, data, money'), '', ...facts];
}

function timeline(ctx: Context): string[] {
  const { zone } = ctx.input;
  const events = [...ctx.input.events].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.id - b.id);
  if (events.length === 0) return ['_Nothing was recorded on the timeline._'];
  const first = events[0]!.occurredAt;
  const abbreviation = zoneAbbreviation(first, zone);
  const lines = [
    `All times are ${escapeMarkdown(zone)} (${abbreviation})${ctx.multiDay ? '' : `, on ${formatInstant(first, zone, { date: 'long' }).split(',').slice(0, 2).join(',')}`}.`,
    '',
  ];
  let day = '';
  for (const event of events) {
    const key = dayKey(event.occurredAt, zone);
    if (ctx.multiDay && key !== day) {
      day = key;
      lines.push(`### ${formatInstant(event.occurredAt, zone, { date: 'long' }).split(',').slice(0, 2).join(',')}`, '');
    }
    const author = event.authorId ? ` · ${who(ctx, event.authorId)}` : '';
    lines.push(`- **${at(ctx, event.occurredAt, false)}** · ${KIND_LABEL[event.kind]}${author}: ${describe(ctx, event)}${messageLink(ctx, event.sourceTs)}`);
  }
  return lines;
}

function rootCause(ctx: Context): string[] {
  const summary = ctx.input.incident.closeSummary;
  const lines = summary ? [typedText(summary, ctx.input.names)] : [TODO('the root cause (no summary was given at close)')];
  const idle = ctx.locks.flatMap((l) => l.evidence.roots).find((r) => r.state?.startsWith('idle in transaction'));
  if (idle) lines.push('', `The lock evidence points at a session left ${rootLine(idle)}.`);
  return lines;
}

function mitigation(ctx: Context): string[] {
  const steps = ctx.input.events
    .filter((e) => ['status', 'severity', 'close'].includes(e.kind) || typeof e.data['action'] === 'string')
    .sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  if (steps.length === 0) return ['_No status changes or actions were recorded._'];
  return steps.map((e, i) => `${i + 1}. ${at(ctx, e.occurredAt, false)}, ${who(ctx, e.authorId)}: ${describe(ctx, e)}`);
}

function lockEvidence(ctx: Context): string[] {
  if (ctx.locks.length === 0) return ['_No `/locks` snapshot was taken during this incident._'];
  const lines: string[] = [];
  for (const { evidence } of ctx.locks) {
    lines.push(
      `### ${escapeMarkdown(evidence.database)} at ${at(ctx, new Date(evidence.at), false)}: ${evidence.blockedTotal} session${evidence.blockedTotal === 1 ? '' : 's'} blocked`,
      '',
    );
    if (evidence.roots.length === 0) lines.push('- No session was blocking another.');
    for (const root of evidence.roots) {
      lines.push(`- Root ${rootLine(root)}`);
      for (const waiter of root.waiters) {
        lines.push(`  - ${waiter.count} × waiting for ${escapeMarkdown(waiter.wait)} (${escapeMarkdown(waiter.mode)})`);
      }
    }
    lines.push('');
  }
  return lines;
}

function preventive(ctx: Context): string[] {
  const roots = ctx.locks.flatMap((l) => l.evidence.roots);
  const waits = roots.flatMap((r) => r.waiters);
  const derived = new Set<string>();
  if (roots.some((r) => r.state?.startsWith('idle in transaction'))) {
    derived.add(
      'Set `idle_in_transaction_session_timeout` (e.g. 60s) for the application role: a session left idle in a transaction held the locks everyone waited on.',
    );
  }
  if (waits.some((w) => /ALTER|AccessExclusive/i.test(`${w.wait} ${w.mode}`))) {
    derived.add('Run migrations with a short `lock_timeout` (e.g. 3s) and retry: DDL queued behind a reader and everything queued behind the DDL.');
  }
  if (ctx.locks.length > 0) derived.add('Turn on `log_lock_waits` so waits longer than `deadlock_timeout` are logged before anyone notices.');
  for (const suggestion of ctx.locks.flatMap((l) => l.evidence.suggestions)) derived.add(escapeMarkdown(suggestion));
  const lines = [...derived].map((s, i) => `${i + 1}. ${s}`);
  return [...(lines.length ? ['Suggested from the evidence:', '', ...lines, ''] : []), TODO('what will stop this happening again, with owners and dates')];
}

function conclusion(ctx: Context): string[] {
  const resolve = keyDurations(ctx.phases).resolve;
  return [
    TODO('what went well, what did not, and what we learned'),
    '',
    resolve !== null
      ? `The incident was resolved ${formatDuration(resolve)} after it was detected.`
      : 'The incident was still open when this draft was written.',
  ];
}

function gantt(ctx: Context): string[] {
  const { zone } = ctx.input;
  const { detected, acknowledged, mitigated, resolved } = ctx.phases;
  const wall = (d: Date) => {
    const w = wallClock(d, zone);
    const p = (n: number) => String(n).padStart(2, '0');
    return `${w.year}-${p(w.month)}-${p(w.day)} ${p(w.hour)}:${p(w.minute)}`;
  };
  const steps: [string, Date | null, Date | null][] = [
    ['Detect to acknowledge', detected, acknowledged],
    ['Acknowledge to mitigate', acknowledged, mitigated],
    ['Mitigate to resolve', mitigated, resolved],
  ];
  const tasks = steps
    .filter((s): s is [string, Date, Date] => s[1] !== null && s[2] !== null && s[2] >= s[1])
    .map(([name, from, to], i) => `  ${name} :p${i + 1}, ${wall(from)}, ${wall(to)}`);
  if (tasks.length === 0) return [];
  return [
    '```mermaid',
    'gantt',
    `  title Incident ${ctx.input.incident.id} phases (${zoneAbbreviation(detected, zone)})`,
    '  dateFormat YYYY-MM-DD HH:mm',
    '  axisFormat %H:%M',
    '  section Response',
    ...tasks,
    '```',
  ];
}

function channelLog(ctx: Context): string[] {
  const { messages } = ctx.input;
  if (messages.length === 0) return ['_No channel messages were captured._'];
  const replies = new Map<string, CapturedMessage[]>();
  const top: CapturedMessage[] = [];
  for (const m of messages) {
    if (m.threadTs && m.threadTs !== m.ts) {
      const list = replies.get(m.threadTs) ?? [];
      list.push(m);
      replies.set(m.threadTs, list);
    } else top.push(m);
  }
  const byTs = (a: CapturedMessage, b: CapturedMessage) => Number(a.ts) - Number(b.ts);
  const line = (m: CapturedMessage, indent: string) =>
    `${indent}- ${at(ctx, new Date(Number(m.ts) * 1000), ctx.multiDay)} ${who(ctx, m.userId)}: ${typedText(m.text, ctx.input.names)}`;
  const lines: string[] = [];
  for (const m of top.sort(byTs)) {
    lines.push(line(m, ''));
    for (const reply of (replies.get(m.ts) ?? []).sort(byTs)) lines.push(line(reply, '  '));
  }
  return lines;
}

/** The postmortem draft as Markdown: deterministic, every time in the team's zone. */
export function composePostmortem(input: PostmortemInput): string {
  const locks = input.events
    .map((event) => ({ event, evidence: lockEvidenceOf(event) }))
    .filter((l): l is { event: TimelineEvent; evidence: LockEvidence } => l.evidence !== null);
  const instants = [...input.events.map((e) => e.occurredAt), input.incident.openedAt, ...(input.incident.closedAt ? [input.incident.closedAt] : [])];
  const days = new Set(instants.map((d) => dayKey(d, input.zone)));
  const ctx: Context = { input, phases: phasesOf(input.incident, input.events), locks, multiDay: days.size > 1 };
  const section = (title: (typeof SECTIONS)[number], body: string[]) => [`## ${title}`, '', ...body, ''];
  return [
    `# Postmortem: ${escapeMarkdown(input.incident.title)}`,
    '',
    `_Draft ${input.version}, written by Firebreak at ${at(ctx, input.generatedAt)} from what incident #${input.incident.id} recorded. Edit it and make it yours._`,
    '',
    ...section('Incident Summary', summary(ctx)),
    ...gantt(ctx),
    '',
    ...section('Impact', impact(ctx)),
    ...section('Timeline', timeline(ctx)),
    ...section('Root Cause', rootCause(ctx)),
    ...section('Mitigation and Resolution', mitigation(ctx)),
    ...section('Lock Evidence', lockEvidence(ctx)),
    ...section('Preventive Measures', preventive(ctx)),
    ...section('Conclusion', conclusion(ctx)),
    '## Appendix: channel messages',
    '',
    ...channelLog(ctx),
    '',
  ].join('\n');
}

import type { Block, SlackMessage } from '../ports/slack.js';
import { escapeMrkdwn, truncate } from '../text/mrkdwn.js';
import type { Diagnosis } from './diagnose.js';
import { ROOT_SNIPPET, WAITER_SNIPPET, showQuery } from './redact.js';
import type { ShowQuery } from './settings.js';
import { describeRelation, type CycleNode, type Forest, type RootNode, type Session, type WaiterNode } from './tree.js';

/** Slack's limits: 50 blocks a message, 3,000 characters a section. */
const MAX_BLOCKS = 50;
const SECTION_TEXT = 3000;
/** Roots shown in full in the message; the rest are summarised and the attachment has them all. */
const MAX_ROOTS = 8;
const MAX_WAITER_LINES = 12;

export const TERMINATE_ACTION = 'locks_terminate';
export const CANCEL_ACTION = 'locks_cancel';

/** What a button carries back: enough to re-check that it is still the same backend. */
export interface LockButtonValue {
  db: string;
  pid: number;
  backendStart: string;
}

export interface RenderedLocks {
  message: SlackMessage;
  /** The full forest as plain text, to attach as a file when the message had to summarise. */
  detailText: string | null;
}

export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h${two(m)}m`;
  if (m > 0) return `${m}m${two(s)}s`;
  return `${s}s`;
}

function since(at: Date, from: Date | null): string | null {
  return from === null ? null : formatDuration(at.getTime() - from.getTime());
}

/** A code span whose content cannot end it early: Slack has no escape for a backtick inside one. */
function code(text: string): string {
  return `\`${escapeMrkdwn(text.replace(/`/g, 'ˋ'))}\``;
}

function who(s: Session): string {
  const parts = [s.application, s.user].filter((p): p is string => p !== null && p !== '');
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Firebreak never signals these: replication, autovacuum, superusers, prepared transactions. */
export function canSignal(s: Session): boolean {
  return s.backendType === 'client backend' && !s.superuser && s.backendStart !== null && s.pid > 0;
}

function holdsText(root: RootNode, mrkdwn: boolean): string {
  if (root.holds.length === 0) return '';
  const shown = root.holds.slice(0, 4).map((h) => {
    const name = describeRelation(h.relation);
    return `${h.mode} on ${mrkdwn ? escapeMrkdwn(name) : name}`;
  });
  const more = root.holds.length > 4 ? ` and ${root.holds.length - 4} more relations` : '';
  return `, holds ${shown.join(', ')}${more}`;
}

function rootHeadline(root: RootNode, at: Date, mrkdwn: boolean): string {
  const esc = mrkdwn ? escapeMrkdwn : (t: string) => t;
  const blocks = `blocks ${plural(root.blocksTotal, 'session')} (${root.blocksDirectly} directly)`;
  if (root.holder.kind === 'prepared') {
    const p = root.holder.prepared;
    return `prepared transaction ${esc(p.gid)}${p.owner ? ` (${esc(p.owner)})` : ''}, prepared ${since(at, p.preparedAt)} ago${holdsText(root, mrkdwn)}, ${blocks}`;
  }
  const s = root.holder.session;
  const state = s.state ?? 'state unknown';
  const inState = since(at, s.stateSince);
  return `pid ${s.pid}${esc(who(s))} ${esc(state)}${inState ? ` ${inState}` : ''}${holdsText(root, mrkdwn)}, ${blocks}`;
}

function rootDetails(root: RootNode, at: Date, mode: ShowQuery): { facts: string[]; lastStatement: string | null } {
  if (root.holder.kind === 'prepared') {
    const p = root.holder.prepared;
    return {
      facts: [`transaction ${p.xid}${p.database ? ` in database ${p.database}` : ''}`, `end it with COMMIT PREPARED or ROLLBACK PREPARED '${p.gid}'`],
      lastStatement: null,
    };
  }
  const s = root.holder.session;
  const facts = [
    s.xactStart ? `transaction open ${since(at, s.xactStart)}` : 'no open transaction',
    s.clientAddr ? `client ${s.clientAddr}` : null,
    s.backendType && s.backendType !== 'client backend' ? s.backendType : null,
    s.database ? `database ${s.database}` : null,
    s.superuser ? 'superuser' : null,
  ].filter((f): f is string => f !== null);
  return { facts, lastStatement: showQuery(s.query, mode, ROOT_SNIPPET) };
}

function waiterLine(n: WaiterNode, at: Date, mode: ShowQuery, mrkdwn: boolean): string {
  const esc = mrkdwn ? escapeMrkdwn : (t: string) => t;
  // The message names a few pids of a group; the attached file names every one.
  const pids = mrkdwn && n.pids.length > 6 ? `${n.pids.slice(0, 6).join(', ')}, …` : n.pids.join(', ');
  const subject =
    n.pids.length > 1
      ? `${n.pids.length} sessions (pids ${pids})${esc(who(n.session))} wait`
      : `pid ${n.session.pid}${esc(who(n.session))} waits`;
  const wait = since(at, n.since);
  const also = n.alsoWaitsFor.length > 0 ? ` (also behind ${n.alsoWaitsFor.map((r) => (r.kind === 'session' ? `pid ${r.pid}` : r.gid)).join(', ')})` : '';
  const query = showQuery(n.session.query, mode, WAITER_SNIPPET);
  const snippet = query === null ? '' : mrkdwn ? `: ${code(query)}` : `: ${query}`;
  const blocking = n.blocksTotal > 0 ? `, blocking ${n.blocksTotal}` : '';
  return `${subject}${wait ? ` ${wait}` : ''} for ${esc(n.waitText)}${also}${blocking}${snippet}`;
}

function waiterLines(nodes: WaiterNode[], at: Date, mode: ShowQuery, mrkdwn: boolean, depth = 0): string[] {
  const lines: string[] = [];
  for (const n of nodes) {
    const indent = mrkdwn ? '\u2003'.repeat(depth) : '  '.repeat(depth);
    lines.push(`${indent}${mrkdwn ? '•' : '-'} ${waiterLine(n, at, mode, mrkdwn)}`);
    lines.push(...waiterLines(n.children, at, mode, mrkdwn, depth + 1));
  }
  return lines;
}

function fitLines(lines: string[], max: number, limit: number): { text: string; cut: boolean } {
  const kept: string[] = [];
  let length = 0;
  for (const [i, line] of lines.entries()) {
    if (kept.length >= limit || length + line.length + 60 > max) {
      kept.push(`…and ${plural(lines.length - i, 'more waiter line')} in the attached detail`);
      return { text: kept.join('\n'), cut: true };
    }
    kept.push(line);
    length += line.length + 1;
  }
  return { text: kept.join('\n'), cut: false };
}

function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, SECTION_TEXT) } };
}

function context(text: string): Block {
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(text, SECTION_TEXT) }] };
}

function plain(text: string, max: number): { type: 'plain_text'; text: string } {
  return { type: 'plain_text', text: truncate(text, max) };
}

function buttons(root: RootNode, db: string): Block | null {
  if (root.holder.kind !== 'session' || !canSignal(root.holder.session)) return null;
  const s = root.holder.session;
  if (s.backendStart === null) return null;
  const value = JSON.stringify({ db, pid: s.pid, backendStart: s.backendStart } satisfies LockButtonValue);
  const unblocks = plural(root.blocksTotal, 'session');
  const elements: Record<string, unknown>[] = [
    {
      type: 'button',
      action_id: TERMINATE_ACTION,
      text: plain('Terminate session', 75),
      style: 'danger',
      value,
      confirm: {
        title: plain(`Terminate pid ${s.pid}?`, 100),
        text: plain(
          `Its connection is closed and its open transaction${s.xactStart ? '' : ' (if any)'} is rolled back: every change it made since BEGIN is lost. This unblocks ${unblocks}.`,
          300,
        ),
        confirm: plain('Terminate', 30),
        deny: plain('Keep it', 30),
        style: 'danger',
      },
    },
  ];
  if (s.state === 'active') {
    elements.push({
      type: 'button',
      action_id: CANCEL_ACTION,
      text: plain('Cancel query', 75),
      value,
      confirm: {
        title: plain(`Cancel the query of pid ${s.pid}?`, 100),
        text: plain(
          `Its running statement is cancelled and rolled back; inside a transaction block the whole transaction aborts, releasing its locks. This unblocks up to ${unblocks}.`,
          300,
        ),
        confirm: plain('Cancel query', 30),
        deny: plain('Keep it', 30),
      },
    });
  }
  return { type: 'actions', block_id: `locks_root_${s.pid}`, elements };
}

function cycleText(cycle: CycleNode, forest: Forest, mrkdwn: boolean): string {
  const pids = cycle.members.map((m) => `pid ${m.session.pid}`).join(' → ');
  const timeout = forest.deadlockTimeoutMs === null ? 'deadlock_timeout' : `deadlock_timeout (${formatDuration(forest.deadlockTimeoutMs)})`;
  const head = mrkdwn ? ':arrows_counterclockwise: *Deadlock*' : 'Deadlock';
  return `${head}: ${pids} wait for each other, a deadlock until the detector runs after ${timeout} and cancels one of them${cycle.blocksTotal > 0 ? `; ${plural(cycle.blocksTotal, 'more session')} wait behind them` : ''}`;
}

function headline(forest: Forest, db: string, mrkdwn: boolean): string {
  const esc = mrkdwn ? escapeMrkdwn : (t: string) => t;
  const name = mrkdwn ? `*${esc(db)}*` : db;
  const conns = `connections ${forest.connections.used}${forest.connections.max === null ? '' : ` of ${forest.connections.max}`}`;
  if (forest.blockedTotal === 0) return `${mrkdwn ? ':white_check_mark: ' : ''}No session waits for a lock on ${name}; ${conns}.`;
  const oldest = since(forest.at, forest.oldestWaitSince);
  const roots = plural(forest.roots.length, 'root blocker');
  const cycles = forest.cycles.length > 0 ? ` and ${plural(forest.cycles.length, 'deadlock cycle')}` : '';
  return `${mrkdwn ? ':lock: ' : ''}Lock contention on ${name}: ${plural(forest.blockedTotal, 'session')} waiting behind ${roots}${cycles}${oldest ? `, oldest wait ${oldest}` : ''}; ${conns}.`;
}

/** The full forest as plain text: the attachment of a summarised message. */
export function renderDetailText(forest: Forest, db: string, mode: ShowQuery): string {
  const lines = [`${headline(forest, db, false)}`, `Taken at ${forest.at.toISOString()} on database ${forest.database}.`];
  if (forest.visibilityWarning) lines.push(`Warning: ${forest.visibilityWarning}`);
  for (const s of forest.suggestions) lines.push(`Setting: ${s.text}`);
  for (const root of forest.roots) {
    lines.push('', `Root: ${rootHeadline(root, forest.at, false)}`);
    const { facts, lastStatement } = rootDetails(root, forest.at, mode);
    lines.push(`  ${facts.join(' · ')}`);
    if (lastStatement !== null) lines.push(`  last statement: ${lastStatement}`);
    lines.push(...waiterLines(root.children, forest.at, mode, false, 1));
  }
  for (const cycle of forest.cycles) {
    lines.push('', cycleText(cycle, forest, false));
    lines.push(...waiterLines(cycle.members, forest.at, mode, false, 1));
  }
  return `${lines.join('\n')}\n`;
}

export function renderDiagnosis(diagnosis: Diagnosis, db: string, mode: ShowQuery): RenderedLocks {
  if (diagnosis.kind === 'failed') {
    const text = `:warning: Could not inspect locks on ${escapeMrkdwn(db)}: ${escapeMrkdwn(diagnosis.reason)}`;
    return { message: { text, blocks: [section(text)] }, detailText: null };
  }
  const forest = diagnosis.forest;
  const blocks: Block[] = [section(headline(forest, db, true))];
  if (forest.visibilityWarning) blocks.push(context(`:warning: ${escapeMrkdwn(forest.visibilityWarning)}`));
  if (forest.suggestions.length > 0) {
    blocks.push(context(`*Would have prevented it:*\n${forest.suggestions.map((s) => `• ${escapeMrkdwn(s.text)}`).join('\n')}`));
  }
  let summarised = false;
  const shown = forest.roots.slice(0, MAX_ROOTS);
  for (const root of shown) {
    const { facts, lastStatement } = rootDetails(root, forest.at, mode);
    const rootText = [
      `*Root blocker:* ${rootHeadline(root, forest.at, true)}`,
      escapeMrkdwn(facts.join(' · ')),
      lastStatement === null ? null : `last statement: ${code(lastStatement)}`,
    ]
      .filter((l): l is string => l !== null)
      .join('\n');
    blocks.push(section(rootText));
    const lines = waiterLines(root.children, forest.at, mode, true);
    if (lines.length > 0) {
      const { text, cut } = fitLines(lines, SECTION_TEXT, MAX_WAITER_LINES);
      summarised ||= cut;
      blocks.push(section(text));
    }
    const actions = buttons(root, db);
    if (actions) blocks.push(actions);
  }
  const hidden = forest.roots.slice(MAX_ROOTS);
  if (hidden.length > 0) {
    summarised = true;
    const behind = hidden.reduce((n, r) => n + r.blocksTotal, 0);
    blocks.push(context(`…and ${plural(hidden.length, 'more root blocker')} (blocking ${behind} in all): every root is in the attached detail.`));
  }
  for (const cycle of forest.cycles.slice(0, 3)) blocks.push(section(cycleText(cycle, forest, true)));
  if (forest.cycles.length > 3) summarised = true;
  if (blocks.length > MAX_BLOCKS) {
    summarised = true;
    blocks.splice(MAX_BLOCKS - 1, blocks.length, context('…more in the attached detail.'));
  }
  return {
    message: { text: headline(forest, db, false), blocks },
    detailText: summarised ? renderDetailText(forest, db, mode) : null,
  };
}

export interface WaiterSummary {
  count: number;
  pids: number[];
  wait: string;
  mode: string;
  query: string | null;
}

export interface RootSummary {
  pid: number | null;
  preparedGid: string | null;
  user: string | null;
  application: string | null;
  state: string | null;
  inStateMs: number | null;
  xactAgeMs: number | null;
  holds: { relation: string; mode: string }[];
  lastStatement: string | null;
  blocksDirectly: number;
  blocksTotal: number;
  waiters: WaiterSummary[];
}

/** A JSON-able record of one diagnosis: the timeline event and the postmortem's lock evidence. */
export interface LocksSnapshot {
  database: string;
  at: string;
  blockedTotal: number;
  oldestWaitMs: number | null;
  connections: { used: number; max: number | null };
  roots: RootSummary[];
  cycles: { pids: number[] }[];
  suggestions: string[];
  visibilityWarning: string | null;
}

function ms(at: Date, from: Date | null): number | null {
  return from === null ? null : at.getTime() - from.getTime();
}

function flatten(nodes: WaiterNode[], mode: ShowQuery): WaiterSummary[] {
  return nodes.flatMap((n) => [
    { count: n.pids.length, pids: n.pids, wait: n.waitText, mode: n.mode, query: showQuery(n.session.query, mode, WAITER_SNIPPET) },
    ...flatten(n.children, mode),
  ]);
}

export function snapshotSummary(forest: Forest, db: string, mode: ShowQuery): LocksSnapshot {
  return {
    database: db,
    at: forest.at.toISOString(),
    blockedTotal: forest.blockedTotal,
    oldestWaitMs: ms(forest.at, forest.oldestWaitSince),
    connections: forest.connections,
    roots: forest.roots.map((root) => {
      const s = root.holder.kind === 'session' ? root.holder.session : null;
      return {
        pid: s?.pid ?? null,
        preparedGid: root.holder.kind === 'prepared' ? root.holder.prepared.gid : null,
        user: s ? s.user : root.holder.kind === 'prepared' ? root.holder.prepared.owner : null,
        application: s?.application ?? null,
        state: s ? s.state : 'prepared',
        inStateMs: s ? ms(forest.at, s.stateSince) : root.holder.kind === 'prepared' ? ms(forest.at, root.holder.prepared.preparedAt) : null,
        xactAgeMs: s ? ms(forest.at, s.xactStart) : null,
        holds: root.holds.map((h) => ({ relation: describeRelation(h.relation), mode: h.mode })),
        lastStatement: s ? showQuery(s.query, mode, ROOT_SNIPPET) : null,
        blocksDirectly: root.blocksDirectly,
        blocksTotal: root.blocksTotal,
        waiters: flatten(root.children, mode),
      };
    }),
    cycles: forest.cycles.map((c) => ({ pids: c.members.map((m) => m.session.pid) })),
    suggestions: forest.suggestions.map((s) => s.text),
    visibilityWarning: forest.visibilityWarning,
  };
}

/** What `/locks watch` compares: a new post only when the roots or their counts change. */
export function pictureKey(snapshot: LocksSnapshot): string {
  const roots = snapshot.roots.map((r) => `${r.pid ?? r.preparedGid}:${r.blocksTotal}`).sort();
  const cycles = snapshot.cycles.map((c) => [...c.pids].sort().join('-')).sort();
  return JSON.stringify({ roots, cycles });
}

/** One line for the timeline: what the picture was. */
export function snapshotText(snapshot: LocksSnapshot): string {
  if (snapshot.blockedTotal === 0) return `Lock snapshot of ${snapshot.database}: no session waits for a lock.`;
  const roots = snapshot.roots.slice(0, 3).map((r) => {
    const who = r.pid === null ? `prepared transaction ${r.preparedGid}` : `pid ${r.pid}`;
    const state = r.state ? ` (${r.state}${r.inStateMs === null ? '' : ` ${formatDuration(r.inStateMs)}`})` : '';
    return `${who}${state} blocking ${r.blocksTotal}`;
  });
  const more = snapshot.roots.length > 3 ? ` and ${snapshot.roots.length - 3} more roots` : '';
  return `Lock snapshot of ${snapshot.database}: ${plural(snapshot.blockedTotal, 'session')} waiting; ${roots.join('; ')}${more}.`;
}

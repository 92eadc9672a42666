import { withoutEmojiShortcodes } from '../text/emoji.js';
import { escapeAndTruncate } from '../text/mrkdwn.js';
import { MAX_TITLE_LENGTH, SEVERITIES, STATUSES, type Severity, type Status } from './model.js';

export type PageTarget = { kind: 'next' } | { kind: 'user'; userId: string } | { kind: 'tier'; tier: number };

export type IncidentCommand =
  | { kind: 'open'; severity: Severity; title: string | null }
  | { kind: 'note'; text: string }
  | { kind: 'status'; status: Status; text: string }
  | { kind: 'severity'; severity: Severity }
  | { kind: 'lead'; userId: string }
  | { kind: 'page'; target: PageTarget }
  | { kind: 'ack' }
  | { kind: 'timeline' }
  | { kind: 'close'; summary: string }
  | { kind: 'postmortem' }
  | { kind: 'list' }
  | { kind: 'help' };

export type CommandParse = { ok: true; command: IncidentCommand } | { ok: false; error: string; usage: string };

export const USAGE = {
  open: '`/incident open [sev1-4] <title>`, e.g. `/incident open sev1 Checkout failing`',
  note: '`/incident note [<time> [<zone>]] <text>`, e.g. `/incident note 12:34pm EAT users report errors`',
  status: '`/incident status <investigating|identified|monitoring|resolved> [text]`',
  severity: '`/incident severity <sev1-4>`',
  lead: '`/incident lead <@user>`',
  page: '`/incident page [<@user>|tier <n>]`',
  ack: '`/incident ack`',
  timeline: '`/incident timeline`',
  close: '`/incident close [summary]`',
  postmortem: '`/incident postmortem`',
  list: '`/incident list`',
  help: '`/incident help`',
} as const satisfies Record<IncidentCommand['kind'], string>;

type Kind = keyof typeof USAGE;

// Error replies are mrkdwn: what they echo back is escaped (so `<!channel>` pings nobody) and kept short.
const MAX_ECHO = 80;
const quoted = (typed: string): string => `“${escapeAndTruncate(typed, MAX_ECHO)}”`;

const fail = (kind: Kind, error: string): CommandParse => ({ ok: false, error, usage: USAGE[kind] });
const ok = (command: IncidentCommand): CommandParse => ({ ok: true, command });

export function parseSeverity(token: string): Severity | null {
  const match = /^sev([0-9]+)$/i.exec(token.trim());
  const value = match ? Number(match[1]) : NaN;
  return (SEVERITIES as readonly number[]).includes(value) ? (value as Severity) : null;
}

/** A user mention as Slack sends it in slash commands with escaping on: `<@U123>` or `<@U123|name>`. */
export function parseUserMention(token: string): string | null {
  const match = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(token.trim());
  return match?.[1] ?? null;
}

/** Why a title cannot be used, or null when it is fine. */
export function titleProblem(title: string): string | null {
  if (title.length === 0) return 'the incident needs a title';
  if (title.length > MAX_TITLE_LENGTH) {
    return `the title is ${title.length} characters long; keep it under ${MAX_TITLE_LENGTH}`;
  }
  if (!/[\p{L}\p{N}]/u.test(withoutEmojiShortcodes(title, ''))) {
    return 'the title needs words, not only emoji or punctuation';
  }
  return null;
}

function splitFirst(text: string): [string, string] {
  const match = /^(\S+)\s*([\s\S]*)$/.exec(text.trim());
  return match ? [match[1] ?? '', (match[2] ?? '').trim()] : ['', ''];
}

function parseOpen(rest: string): CommandParse {
  const [first, afterFirst] = splitFirst(rest);
  let severity: Severity = 2;
  let title = rest;
  if (/^sev/i.test(first) && !/^sev[a-z]/i.test(first)) {
    const parsed = parseSeverity(first);
    if (parsed === null) return fail('open', `${quoted(first)} is not a severity: use sev1 (worst) to sev4`);
    severity = parsed;
    title = afterFirst;
  }
  if (title === '') return ok({ kind: 'open', severity, title: null });
  const problem = titleProblem(title);
  return problem ? fail('open', problem) : ok({ kind: 'open', severity, title });
}

function parsePage(rest: string): CommandParse {
  if (rest === '') return ok({ kind: 'page', target: { kind: 'next' } });
  const userId = parseUserMention(rest);
  if (userId) return ok({ kind: 'page', target: { kind: 'user', userId } });
  const tier = /^tier\s+(\d+)$/i.exec(rest);
  if (tier && Number(tier[1]) >= 1) return ok({ kind: 'page', target: { kind: 'tier', tier: Number(tier[1]) } });
  return fail('page', `${quoted(rest)} is neither a @mention nor \`tier <n>\``);
}

/** Parses the text after `/incident` into a typed command, or says what is wrong and shows the right form. */
export function parseIncidentCommand(text: string): CommandParse {
  const [word, rest] = splitFirst(text);
  const sub = word.toLowerCase();
  switch (sub) {
    case '':
    case 'help':
      return ok({ kind: 'help' });
    case 'open':
      return parseOpen(rest);
    case 'note':
      return rest === '' ? fail('note', 'the note is empty') : ok({ kind: 'note', text: rest });
    case 'status': {
      const [value, note] = splitFirst(rest);
      const status = value.toLowerCase();
      if (!(STATUSES as readonly string[]).includes(status)) {
        return fail('status', value ? `${quoted(value)} is not a status` : 'which status?');
      }
      return ok({ kind: 'status', status: status as Status, text: note });
    }
    case 'severity':
    case 'sev': {
      const severity = parseSeverity(rest);
      if (severity === null) {
        return fail('severity', rest ? `${quoted(rest)} is not a severity: use sev1 (worst) to sev4` : 'which severity?');
      }
      return ok({ kind: 'severity', severity });
    }
    case 'lead': {
      if (rest === '') return fail('lead', 'who should lead?');
      const userId = parseUserMention(rest);
      return userId
        ? ok({ kind: 'lead', userId })
        : fail('lead', `${quoted(rest)} is not a @mention of a person: type @ and pick them from the list`);
    }
    case 'page':
      return parsePage(rest);
    case 'ack':
    case 'timeline':
    case 'postmortem':
    case 'list':
      return rest === '' ? ok({ kind: sub }) : fail(sub, `\`${sub}\` takes no arguments`);
    case 'close':
      return ok({ kind: 'close', summary: rest });
    default:
      return {
        ok: false,
        error: `\`${escapeAndTruncate(word, MAX_ECHO)}\` is not an /incident command`,
        usage: 'Try `/incident help` for the list of commands.',
      };
  }
}

export function helpText(): string {
  return [
    '*Firebreak: /incident commands*',
    ...Object.values(USAGE).map((usage) => `• ${usage}`),
    '• `/locks [database]` and `/locks watch [database]`: who is blocking whom in PostgreSQL',
    'Everything except `open`, `list` and `help` acts on the incident of the channel you type it in.',
  ].join('\n');
}

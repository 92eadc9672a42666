import { UserError } from '../common/context.js';

export type LocksCommand =
  | { kind: 'inspect'; database: string | undefined }
  | { kind: 'watch'; database: string | undefined }
  | { kind: 'watch-stop' }
  | { kind: 'help' };

export const LOCKS_USAGE = '/locks [database] | /locks watch [database] | /locks watch stop';

const NAME = /^[A-Za-z0-9_-]+$/;

/** Parses the text after `/locks`; database names are checked against the config later. */
export function parseLocksCommand(text: string): LocksCommand {
  const words = text.trim().split(/\s+/).filter((w) => w !== '');
  const [first, second, ...rest] = words;
  if (first === undefined) return { kind: 'inspect', database: undefined };
  if (first === 'help') return { kind: 'help' };
  if (first === 'watch') {
    if (second === 'stop' && rest.length === 0) return { kind: 'watch-stop' };
    if (second === undefined) return { kind: 'watch', database: undefined };
    if (NAME.test(second) && rest.length === 0) return { kind: 'watch', database: second };
  } else if (NAME.test(first) && second === undefined) {
    return { kind: 'inspect', database: first };
  }
  throw new UserError(`\`/locks ${text.trim()}\` is not a /locks command.`, LOCKS_USAGE);
}

export function locksHelp(databases: string[]): string {
  return [
    '*/locks*: who is blocking whom in PostgreSQL.',
    '`/locks [database]`: inspect now and post the picture here (in an incident channel it also joins the timeline).',
    '`/locks watch [database]` / `/locks watch stop`: re-inspect every 15 s while the incident is open.',
    databases.length > 0 ? `Databases: ${databases.join(', ')} (the first is the default).` : 'No database is configured under locks.databases.',
  ].join('\n');
}

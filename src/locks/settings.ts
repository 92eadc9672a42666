import { z } from 'zod';
import { parseDuration } from '../duration.js';

export type ShowQuery = 'full' | 'redacted' | 'none';

export interface LockDatabase {
  name: string;
  url: string;
}

export interface LocksSettings {
  /** The first one is the default of `/locks`. */
  databases: LockDatabase[];
  statementTimeoutMs: number;
  /** Slack user ids (U…/W…) and usergroup ids (S…), expanded at click time. */
  act: string[];
  showQuery: ShowQuery;
}

const SLACK_ID = /^[UWS][A-Z0-9]{2,}$/;
const POSTGRES_URL = /^postgres(ql)?:\/\//;

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration such as 2s, 5s or 1m` });
    return z.NEVER;
  }
  return ms;
});

const database = z.union([
  z.object({ url: z.string().regex(POSTGRES_URL, 'must be a postgres:// URL') }).strict(),
  z.object({ url_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') }).strict(),
]);

/** The `locks:` block of firebreak.yml, as written; `resolveLocksSettings` turns it into settings. */
export const locksFileSchema = z
  .object({
    databases: z
      .record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'database names are letters, digits, - and _'), database, {
        error: 'must be a map of names to {url} or {url_env}',
      })
      .default({}),
    statement_timeout: duration
      .refine((ms) => ms > 0, { message: 'must be more than 0s' })
      .default(2000),
    act: z.array(z.string().regex(SLACK_ID, 'must be a Slack user id (U…) or usergroup id (S…)')).default([]),
    show_query: z.enum(['full', 'redacted', 'none']).default('redacted'),
  })
  .strict()
  .default({ databases: {}, statement_timeout: 2000, act: [], show_query: 'redacted' });

export type LocksFile = z.output<typeof locksFileSchema>;

type Env = Readonly<Record<string, string | undefined>>;

/** Reads `url_env` URLs from the environment. Returns the message of the first problem, naming the setting. */
export function resolveLocksSettings(file: LocksFile, env: Env): LocksSettings | { error: string } {
  const databases: LockDatabase[] = [];
  for (const [name, entry] of Object.entries(file.databases)) {
    if ('url' in entry) {
      databases.push({ name, url: entry.url });
      continue;
    }
    const value = env[entry.url_env]?.trim();
    if (!value) return { error: `locks.databases.${name}.url_env: ${entry.url_env} is not set` };
    // Never echo the value: it carries the password.
    if (!POSTGRES_URL.test(value)) return { error: `locks.databases.${name}.url_env: ${entry.url_env} must hold a postgres:// URL` };
    databases.push({ name, url: value });
  }
  return { databases, statementTimeoutMs: file.statement_timeout, act: file.act, showQuery: file.show_query };
}

/** A database URL fit for logs and messages: user, host, port and database, never a password. */
export function describeDatabase(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'an unparseable database URL';
  }
  const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : '';
  const port = parsed.port ? `:${parsed.port}` : '';
  return `postgres://${user}${parsed.hostname}${port}${parsed.pathname}`;
}

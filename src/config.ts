import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { escalationSchema, toEscalationSettings, type EscalationSettings } from './escalation/settings.js';
import { locksFileSchema, resolveLocksSettings, type LocksSettings } from './locks/settings.js';
import { postmortemSchema, type PostmortemConfig } from './postmortem/settings.js';
import { isIanaZone } from './time/zones.js';

export type { LockDatabase, LocksSettings, ShowQuery } from './locks/settings.js';

export interface Config {
  slack: {
    botToken: string;
    signingSecret: string | null;
    appToken: string | null;
    apiUrl: string;
  };
  port: number;
  /** When set, /healthz and /metrics are served here, away from the Slack ingress. */
  adminPort: number | null;
  databaseUrl: string | null;
  redisUrl: string | null;
  /** Redis key prefix (or PostgreSQL schema) of the queues, for deployments sharing a Redis. */
  queuePrefix: string;
  dataDir: string;
  logLevel: string;
  timezone: string;
  channelPrefix: string;
  escalation: EscalationSettings;
  locks: LocksSettings;
  zoneAliases: Record<string, string>;
  postmortem: PostmortemConfig;
}

/** A setting that stops start-up; `message` is the one line an operator sees. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
// Slack channel names are at most 80 characters; leave room for the date and the title slug.
const PREFIX = /^[a-z0-9][a-z0-9_-]{0,19}$/;

const ianaZone = z.string().refine(isIanaZone, { message: 'is not an IANA time zone such as Africa/Nairobi' });

const fileSchema = z
  .object({
    timezone: ianaZone.default('UTC'),
    channel_prefix: z
      .string()
      .regex(PREFIX, 'must be 1-20 lowercase letters, digits, - or _, starting with a letter or digit')
      .default('inc'),
    escalation: escalationSchema.default({ by_severity: {}, policies: {}, rotations: {} }),
    locks: locksFileSchema,
    zone_aliases: z.record(z.string().regex(/^[A-Za-z]{2,6}$/, 'aliases are 2-6 letters'), ianaZone).default({}),
    postmortem: postmortemSchema,
  })
  .strict();

type Env = Readonly<Record<string, string | undefined>>;

function nonEmpty(env: Env, name: string): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}

function required(env: Env, name: string, why: string): string {
  const value = nonEmpty(env, name);
  if (value === null) throw new ConfigError(`${name} is not set: ${why}`);
  return value;
}

function urlSetting(env: Env, name: string, protocols: string[]): string | null {
  const value = nonEmpty(env, name);
  if (value === null) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return value;
}

function portSetting(env: Env, name: string): number | null {
  const text = nonEmpty(env, name);
  if (text === null) return null;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new ConfigError(`${name} must be a port number, not "${text}"`);
  return port;
}

function queuePrefixSetting(env: Env): string {
  const prefix = nonEmpty(env, 'FIREBREAK_QUEUE_PREFIX') ?? 'firebreak';
  if (!/^[a-z][a-z0-9_]{0,39}$/.test(prefix)) {
    throw new ConfigError('FIREBREAK_QUEUE_PREFIX must be 1-40 lowercase letters, digits or _, starting with a letter');
  }
  return prefix;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  return path ? `${path} ${issue.message}` : issue.message;
}

function readConfigFile(env: Env, cwd: string): z.output<typeof fileSchema> {
  const explicit = nonEmpty(env, 'FIREBREAK_CONFIG');
  const path = explicit ?? join(cwd, 'firebreak.yml');
  if (!existsSync(path)) {
    // The file is optional: with only the Slack settings the bot runs on its defaults.
    if (explicit) throw new ConfigError(`FIREBREAK_CONFIG: no file at ${path}`);
    return fileSchema.parse({});
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8')) ?? {};
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError(`${path} is not valid YAML: ${reason}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new ConfigError(`${path}: ${first ? describeIssue(first) : 'invalid configuration'}`);
  }
  return parsed.data;
}

export interface LoadOptions {
  /** Where the default ./firebreak.yml is looked for (tests pass an empty folder). */
  cwd?: string;
}

export function loadConfig(env: Env = process.env, options: LoadOptions = {}): Config {
  const botToken = required(env, 'SLACK_BOT_TOKEN', 'set it to the bot token (xoxb-…) from the Slack app page');
  if (!botToken.startsWith('xoxb-')) throw new ConfigError('SLACK_BOT_TOKEN must be a bot token starting with xoxb-');
  const appToken = nonEmpty(env, 'SLACK_APP_TOKEN');
  if (appToken !== null && !appToken.startsWith('xapp-')) {
    throw new ConfigError('SLACK_APP_TOKEN must be an app-level token starting with xapp-');
  }
  const signingSecret =
    appToken === null
      ? required(env, 'SLACK_SIGNING_SECRET', 'HTTP mode needs it to verify requests (or set SLACK_APP_TOKEN for Socket Mode)')
      : nonEmpty(env, 'SLACK_SIGNING_SECRET');

  const apiUrl = urlSetting(env, 'SLACK_API_URL', ['http:', 'https:']) ?? 'https://slack.com/api/';
  if (!apiUrl.endsWith('/')) throw new ConfigError('SLACK_API_URL must end with /');

  const port = portSetting(env, 'PORT') ?? 3000;
  const adminPort = portSetting(env, 'ADMIN_PORT');
  if (adminPort !== null && adminPort !== 0 && adminPort === port) throw new ConfigError('ADMIN_PORT must differ from PORT');

  const logLevel = nonEmpty(env, 'LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  }

  const file = readConfigFile(env, options.cwd ?? process.cwd());
  const escalation = toEscalationSettings(file.escalation, env, (message) => {
    throw new ConfigError(message);
  });

  const locks = resolveLocksSettings(file.locks, env);
  if ('error' in locks) throw new ConfigError(locks.error);

  return {
    slack: { botToken, signingSecret, appToken, apiUrl },
    port,
    adminPort,
    databaseUrl: urlSetting(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    redisUrl: urlSetting(env, 'REDIS_URL', ['redis:', 'rediss:']),
    queuePrefix: queuePrefixSetting(env),
    dataDir: nonEmpty(env, 'FIREBREAK_DATA_DIR') ?? './.firebreak',
    logLevel,
    timezone: file.timezone,
    channelPrefix: file.channel_prefix,
    escalation,
    locks,
    zoneAliases: Object.fromEntries(Object.entries(file.zone_aliases).map(([k, v]) => [k.toUpperCase(), v])),
    postmortem: file.postmortem,
  };
}

import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Paths that could carry a secret; pino replaces them before anything is written. */
const REDACT = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'password',
  'url',
  'databaseUrl',
  'redisUrl',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.password',
  '*.databaseUrl',
  '*.redisUrl',
  'headers.authorization',
];

/** Fields that every line logged within a piece of work carries (the Slack request, the incident). */
const logContext = new AsyncLocalStorage<Record<string, unknown>>();

/** Runs `work` with `fields` on every line logged inside it, however deep the call that logs. */
export function withLogFields<T>(fields: Record<string, unknown>, work: () => T): T {
  return logContext.run({ ...logContext.getStore(), ...fields }, work);
}

/** Adds fields to the work under way, e.g. the incident once a command has found it. */
export function tagLogs(fields: Record<string, unknown>): void {
  const current = logContext.getStore();
  if (current) Object.assign(current, fields);
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACT, censor: '[redacted]' }, mixin: () => ({ ...logContext.getStore() }) };
  return destination ? pino(options, destination) : pino(options);
}

import { pino, type Logger } from 'pino';

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

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' } });
}

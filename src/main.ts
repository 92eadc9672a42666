import { ConfigError, loadConfig, type Config } from './config.js';
import { startFirebreak, type Firebreak } from './firebreak.js';
import { createLogger } from './log.js';

function fail(line: string, code: number): never {
  process.stderr.write(`firebreak: ${line}\n`);
  process.exit(code);
}

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) fail(error.message, 2);
  throw error;
}

const log = createLogger(config.logLevel);
let starting: Promise<Firebreak> | undefined;
// Installed before start-up begins: a SIGTERM that arrives while we start still shuts down cleanly.
const shutdown = (signal: string) => {
  log.info({ signal }, 'shutting down');
  (starting ?? Promise.reject(new Error('not started')))
    .then((firebreak) => firebreak.stop())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: String(error) }, 'shutdown failed');
        process.exit(1);
      },
    );
};
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));
starting = startFirebreak(config, log);

try {
  await starting;
} catch (error) {
  if (error instanceof ConfigError) fail(error.message, 2);
  const message = error instanceof Error ? error.message : String(error);
  // Bolt checks the token with auth.test at start-up: a rejected token is a bad setting.
  if (/invalid_auth|not_authed|account_inactive|token_revoked/.test(message)) {
    fail(`SLACK_BOT_TOKEN was rejected by Slack (${message})`, 2);
  }
  fail(`could not start: ${message}`, 1);
}

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseDuration } from '../../src/duration.js';

const dir = mkdtempSync(join(tmpdir(), 'firebreak-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
function yamlFile(text: string): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.yml`);
  writeFileSync(path, text);
  return path;
}
// Config loading runs in an empty folder, never reading the developer's own ./firebreak.yml.
const emptyCwd = join(dir, 'cwd');
mkdirSync(emptyCwd);
function load(env: Record<string, string>): ReturnType<typeof loadConfig> {
  return loadConfig(env, { cwd: emptyCwd });
}
const base = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 'secret', FIREBREAK_CONFIG: '' };

function errorOf(env: Record<string, string>): string {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('runs on defaults with only the Slack settings', () => {
    const config = load({ ...base, FIREBREAK_CONFIG: '' });
    expect(config).toMatchObject({
      port: 3000,
      databaseUrl: null,
      redisUrl: null,
      dataDir: './.firebreak',
      timezone: 'UTC',
      channelPrefix: 'inc',
      slack: { apiUrl: 'https://slack.com/api/', appToken: null },
    });
  });

  it('reads ./firebreak.yml of the folder it runs in when FIREBREAK_CONFIG is not set', () => {
    const cwd = join(dir, 'with-file');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'firebreak.yml'), 'timezone: Asia/Tokyo\n');
    expect(loadConfig({ ...base, FIREBREAK_CONFIG: '' }, { cwd }).timezone).toBe('Asia/Tokyo');
  });

  it('reads the contract’s example file', () => {
    const path = yamlFile(`
timezone: Africa/Nairobi
channel_prefix: inc
escalation:
  default_policy: primary
  by_severity: {4: quiet}
  policies:
    quiet:
      tiers: []
    primary:
      repeat: 0
      tiers:
        - after: 0s
          notify: [U0TIER1]
        - after: 5m
          notify: [U0TIER2]
        - after: 1h30m
          notify: [S0DBAS, rotation:dba]
  rotations:
    dba:
      users: [U0DBA1, U0DBA2, U0DBA3]
      start: 2026-01-05 09:00
      zone: Europe/Berlin
      length: 1w
      overrides:
        - {user: U0DBA2, from: 2026-03-02 09:00, to: 2026-03-04 09:00}
  webhook:
    url_env: PAGER_WEBHOOK_URL
    secret_env: PAGER_WEBHOOK_SECRET
locks:
  databases:
    main:
      url: postgres://monitor@db.internal/app
  statement_timeout: 2s
  act: [U0DBA1, S0DBAS]
  show_query: redacted
zone_aliases:
  IST: Asia/Kolkata
`);
    const config = load({ ...base, FIREBREAK_CONFIG: path, PAGER_WEBHOOK_URL: 'https://pager.example/e', PAGER_WEBHOOK_SECRET: 's3cret' });
    expect(config.timezone).toBe('Africa/Nairobi');
    expect(config.escalation.policies['primary']?.tiers.map((t) => t.afterMs)).toEqual([0, 300_000, 5_400_000]);
    expect(config.escalation.bySeverity).toEqual({ 4: 'quiet' });
    expect(config.escalation.policies['quiet']).toEqual({ repeat: 0, tiers: [], webhook: { urlEnv: 'PAGER_WEBHOOK_URL', secretEnv: 'PAGER_WEBHOOK_SECRET' } });
    expect(config.escalation.rotations['dba']).toMatchObject({ zone: 'Europe/Berlin', lengthDays: 7, start: { year: 2026, month: 1, day: 5, hour: 9 } });
    expect(config.escalation.rotations['dba']?.overrides).toEqual([
      { user: 'U0DBA2', fromMs: Date.parse('2026-03-02T08:00:00Z'), toMs: Date.parse('2026-03-04T08:00:00Z') },
    ]);
    expect(config.locks).toEqual({
      databases: [{ name: 'main', url: 'postgres://monitor@db.internal/app' }],
      statementTimeoutMs: 2000,
      act: ['U0DBA1', 'S0DBAS'],
      showQuery: 'redacted',
    });
    expect(config.zoneAliases).toEqual({ IST: 'Asia/Kolkata' });
  });

  it.each([
    [{ SLACK_BOT_TOKEN: '' }, 'SLACK_BOT_TOKEN is not set'],
    [{ SLACK_BOT_TOKEN: 'xoxp-user' }, 'SLACK_BOT_TOKEN must be a bot token'],
    [{ SLACK_SIGNING_SECRET: '' }, 'SLACK_SIGNING_SECRET is not set'],
    [{ SLACK_APP_TOKEN: 'xoxb-wrong' }, 'SLACK_APP_TOKEN must be an app-level token'],
    [{ SLACK_API_URL: 'http://127.0.0.1:9/api' }, 'SLACK_API_URL must end with /'],
    [{ PORT: 'eighty' }, 'PORT must be a port number'],
    [{ DATABASE_URL: 'mysql://x/y' }, 'DATABASE_URL must start with postgres://'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL is not a valid URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of'],
    [{ FIREBREAK_CONFIG: '/nonexistent/firebreak.yml' }, 'FIREBREAK_CONFIG: no file at /nonexistent/firebreak.yml'],
  ])('stops on %j with one line naming the setting', (env, message) => {
    const line = errorOf({ ...base, ...env });
    expect(line).toContain(message);
    expect(line).not.toContain('\n');
  });

  it.each([
    ['timezone: Mars/Olympus', 'timezone is not an IANA time zone'],
    ['timezone: EST', 'timezone is not an IANA time zone'],
    ['channel_prefix: "Bad Prefix"', 'channel_prefix must be'],
    ['escalation: {policies: {p: {tiers: [{after: soon, notify: [U1AA]}]}}}', 'escalation.policies.p.tiers.0.after "soon" is not a duration'],
    ['escalation: {policies: {p: {tiers: [{after: 5m, notify: [bob]}]}}}', 'escalation.policies.p.tiers.0.notify.0 must be a Slack user id'],
    ['escalation: {default_policy: nope, policies: {p: {tiers: [{after: 5m, notify: [U1AA]}]}}}', 'default_policy names "nope"'],
    ['escalation: {policies: {p: {tiers: [{after: 5m, notify: [U1AA]}, {after: 5m, notify: [U1BB]}]}}}', 'escalation.policies.p.tiers.1.after must be later than tier 0 (5m)'],
    ['escalation: {policies: {p: {tiers: [{after: 5m, notify: []}]}}}', 'escalation.policies.p.tiers.0.notify must name at least one'],
    ['escalation: {policies: {p: {tiers: [{after: 5m, notify: [U1AA], wait: 1}]}}}', 'escalation.policies.p.tiers.0'],
    ['escalation: {by_severity: {4: gone}, policies: {p: {tiers: []}}}', 'escalation.by_severity.4 names "gone"'],
    ['escalation: {policies: {p: {tiers: [{after: 0s, notify: ["rotation:nope"]}]}}}', 'escalation.policies.p.tiers.0.notify.0 names rotation "nope"'],
    ['escalation: {policies: {p: {repeat: 2, tiers: [{after: 0s, notify: [U1AA]}]}}}', "escalation.policies.p.repeat needs the last tier's after"],
    ['escalation: {rotations: {r: {users: [U1AA], start: "2026-01-05 09:00", zone: Mars/Olympus, length: 1w}}}', 'escalation.rotations.r.zone is not an IANA time zone'],
    ['escalation: {rotations: {r: {users: [U1AA], start: "2026-01-05 09:00", zone: UTC, length: 3x}}}', 'escalation.rotations.r.length "3x" is not a rotation length'],
    ['escalation: {rotations: {r: {users: [U1AA], start: "2026-02-30 09:00", zone: UTC, length: 1d}}}', 'escalation.rotations.r.start "2026-02-30 09:00" is not a wall time'],
    ['escalation: {webhook: {url_env: HOOK_URL_UNSET, secret_env: HOOK_SECRET_UNSET}, policies: {p: {tiers: []}}}', 'HOOK_URL_UNSET is not set'],
    ['locks: {show_query: everything}', 'locks.show_query'],
    ['locks: {databases: {main: {url: "mysql://x"}}}', 'locks.databases.main.url must be a postgres:// URL'],
    ['zone_aliases: {IST: India}', 'zone_aliases.IST is not an IANA time zone'],
    ['surprise: 1', 'surprise'],
    ['timezone: [unclosed', 'is not valid YAML'],
  ])('stops on the file line %j, naming the setting', (yaml, message) => {
    const line = errorOf({ ...base, FIREBREAK_CONFIG: yamlFile(yaml) });
    expect(line).toContain(message);
    expect(line).not.toContain('\n');
  });

  it('never puts secrets into its messages', () => {
    const line = errorOf({ ...base, SLACK_BOT_TOKEN: 'xoxb-very-secret', DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(line).not.toContain('hunter2');
  });
});

describe('parseDuration', () => {
  it.each([
    ['0s', 0],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['', '5', '5 minutes', '-1m', '1m1h'])('%j is not a duration', (text) => expect(parseDuration(text)).toBeNull());
});

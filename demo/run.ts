// `npm run demo`: the seed incident end to end on this machine, with nothing to install and no
// Slack workspace. A real PostgreSQL (embedded) holds both the bot's store and a demo application
// database in which the seed's lock contention is reproduced for real: a session idle in
// transaction after a SAVEPOINT, holding a row lock, writers queued behind it. Slack is the
// emulator the test suite uses, driven with signed requests exactly as Slack sends them. It prints
// what each person sees, writes the transcript (firebreak-demo.md) and the postmortem
// (postmortems/), and leaves nothing running. `npm run demo -- --interactive` keeps it open.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { startFirebreak } from '../src/firebreak.js';
import { createLogger } from '../src/log.js';
import { startEmbeddedPostgres } from '../src/store/embedded.js';
import { startFakeSlack, type FakeMessage } from '../test/support/fake-slack.js';
import { SlackDriver } from '../test/support/slack-driver.js';

const SECRET = 'demo-signing-secret';
const OUTPUT = process.env.DEMO_OUTPUT ?? 'firebreak-demo.md';
const POSTMORTEMS = process.env.DEMO_POSTMORTEMS ?? 'postmortems';
const INTERACTIVE = process.argv.includes('--interactive');
const AMINA = 'U0AMINA001'; // on call in Nairobi
const NOAH = 'U0NOAH0001'; // DBA in New York, allowed to end sessions
const started = Date.now();

const transcript: string[] = ['# Firebreak demo', ''];
function say(line: string): void {
  transcript.push(line);
  process.stdout.write(`${line}\n`);
}
function progress(step: string): void {
  process.stderr.write(`[demo ${((Date.now() - started) / 1000).toFixed(1)}s] ${step}\n`);
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const dir = mkdtempSync(join(tmpdir(), 'firebreak-demo-'));
// As root, the embedded PostgreSQL runs as user postgres: let it into this folder up front.
chmodSync(dir, 0o755);
const log = createLogger('silent');

progress('starting an embedded PostgreSQL (the first start takes a few seconds)');
const postgres = await startEmbeddedPostgres(join(dir, 'data'), log);
const appUrl = postgres.url.replace(/\/postgres$/, '/demo_app');
{
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query('CREATE DATABASE demo_app');
  await admin.end();
  const app = new pg.Client({ connectionString: appUrl });
  await app.connect();
  // The application's own role: not a superuser, so Firebreak may end its sessions.
  await app.query(`CREATE ROLE shop LOGIN PASSWORD 'shop';
    CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance int);
    INSERT INTO accounts VALUES (1, 'acme', 1000), (2, 'globex', 1000), (3, 'initech', 1000);
    GRANT ALL ON accounts TO shop;`);
  await app.end();
}

writeFileSync(
  join(dir, 'firebreak.yml'),
  `timezone: Africa/Nairobi
channel_prefix: inc
escalation:
  default_policy: primary
  policies:
    primary:
      tiers:
        - {after: 0s, notify: [${AMINA}]}
        - {after: 4s, notify: [${NOAH}]}
locks:
  databases:
    app:
      url_env: DEMO_APP_URL
  act: [${NOAH}]
`,
);

const slack = await startFakeSlack();
slack.addUser({ id: AMINA, name: 'amina', tz: 'Africa/Nairobi' });
slack.addUser({ id: NOAH, name: 'noah', tz: 'America/New_York' });
const general = slack.addChannel({ name: 'ops', members: [AMINA, NOAH] }).id;

const config = loadConfig({
  SLACK_BOT_TOKEN: slack.botToken,
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_API_URL: slack.apiUrl,
  PORT: '0',
  DATABASE_URL: postgres.url,
  DEMO_APP_URL: appUrl,
  FIREBREAK_CONFIG: join(dir, 'firebreak.yml'),
});
progress('starting Firebreak against the Slack emulator');
const bot = await startFirebreak(config, log, { host: '127.0.0.1' });
const driver = new SlackDriver({ botUrl: bot.url, signingSecret: SECRET, fake: slack });
const sessions: pg.Client[] = [];

/** Waits until everything the bot owes Slack (cards, announcements, files) is delivered. */
async function settle(): Promise<void> {
  for (let waited = 0; waited < 20_000 && (await bot.outbox.pendingCount()) > 0; waited += 50) await sleep(50);
}

function name(userId: string): string {
  return slack.user(userId)?.name ?? userId;
}

async function type(userId: string, channelId: string, text: string, command = '/incident'): Promise<string> {
  say(`\n**${name(userId)}** types \`${command} ${text}\``);
  const result = await driver.slashCommand({ command, text, userId, channelId });
  const inAck = (result.body as { text?: string } | null)?.text;
  const reply = inAck ?? String((await result.waitForResponses(1, 10_000))[0]?.body['text'] ?? '');
  say(`> (only ${name(userId)} sees) ${reply.replaceAll('\n', '\n> ')}`);
  return reply;
}

/** A message's visible words: its text, or its blocks' text when it has blocks. */
function shown(message: FakeMessage): string {
  const texts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (typeof record['text'] === 'string' && record['type'] !== 'plain_text') texts.push(record['text']);
      else if (record['text'] && typeof record['text'] === 'object') walk(record['text']);
      for (const key of ['blocks', 'fields', 'elements']) if (record[key]) walk(record[key]);
    }
  };
  walk(message.blocks ?? []);
  return texts.length ? texts.join('\n') : message.text;
}

let seenInChannel = 0;
function channelNews(channelId: string): void {
  const messages = slack.messages(channelId);
  for (const message of messages.slice(seenInChannel)) say(`> (#${slack.channel(channelId)?.name}) ${shown(message).replaceAll('\n', '\n> ')}`);
  seenInChannel = messages.length;
}

async function contention(): Promise<number> {
  const connect = async (application: string) => {
    const url = new URL(appUrl);
    url.username = 'shop';
    url.password = 'shop';
    const client = new pg.Client({ connectionString: url.toString(), application_name: application });
    client.on('error', () => undefined);
    await client.connect();
    sessions.push(client);
    return client;
  };
  const billing = await connect('billing-worker');
  const { rows } = await billing.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  await billing.query('BEGIN');
  await billing.query('SAVEPOINT before_transfer');
  await billing.query('UPDATE accounts SET balance = balance - 10 WHERE id = 2');
  // The worker went on to other things and never committed: idle in transaction, row 2 locked.
  for (const app of ['checkout-api', 'checkout-api', 'invoicing']) {
    const writer = await connect(app);
    void writer.query('UPDATE accounts SET balance = balance + 1 WHERE id = 2').catch(() => undefined);
  }
  const probe = await connect('demo-probe');
  for (let tries = 0; tries < 100; tries += 1) {
    const waiting = await probe.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = 'demo_app' AND wait_event_type = 'Lock'`);
    if (waiting.rows[0].n >= 3) break;
    await sleep(50);
  }
  // Long enough for the picture to show how long it has been idle.
  await sleep(2_000);
  return rows[0]!.pid;
}

async function waitForPage(userId: string): Promise<{ channel: string; message: FakeMessage }> {
  for (let waited = 0; waited < 20_000; waited += 100) {
    const channel = slack.imWith(userId);
    const message = channel ? slack.messages(channel)[0] : undefined;
    if (channel && message) return { channel, message };
    await sleep(100);
  }
  throw new Error(`${name(userId)} was never paged`);
}

function buttonValue(channelId: string, actionId: string): { ts: string; value: string } | null {
  for (const message of [...slack.messages(channelId)].reverse()) {
    const elements = (message.blocks ?? []).flatMap((b) => ((b as { elements?: { action_id?: string; value?: string }[] }).elements ?? []));
    const button = elements.find((e) => e.action_id === actionId);
    if (button?.value) return { ts: message.ts, value: button.value };
  }
  return null;
}

async function click(userId: string, channelId: string, actionId: string, label: string, confirms = true): Promise<void> {
  const target = buttonValue(channelId, actionId);
  if (!target) throw new Error(`no ${actionId} button in the channel`);
  say(`\n**${name(userId)}** presses **${label}**${confirms ? ' (and confirms)' : ''}`);
  const result = await driver.blockAction({ userId, channelId, messageTs: target.ts, actionId, value: target.value });
  const [answer] = await result.waitForResponses(1, 10_000);
  say(`> (only ${name(userId)} sees) ${String(answer?.body['text'] ?? '')}`);
}

try {
  progress('amina opens the incident');
  const opened = await type(AMINA, general, 'open sev1 Checkout slow: orders table locked');
  const channelId = /<#(C\w+)>/.exec(opened)?.[1];
  if (!channelId) throw new Error(`the incident did not open: ${opened}`);
  await settle();
  const channel = slack.channel(channelId)!;
  say(`\nSlack now has #${channel.name}, topic “${channel.topic.value}”.`);
  channelNews(channelId);

  progress('the notes of the seed postmortem, typed as its authors typed them');
  // Today's times, as the seed's authors wrote them (its dates would put the incident in 2023).
  for (const line of [
    '12:34pm EAT Incident identified - Users reported slow website/application performance and errors.',
    '12:37pm EAT Initial investigation initiated - IT Operations team identified the issue as a database lock.',
    '13:17pm EAT Root cause identified - Concurrent write operations leading to lock contention.',
  ]) {
    await type(AMINA, channelId, `note ${line}`);
  }
  await type(AMINA, channelId, `lead <@${NOAH}|noah>`);
  await type(AMINA, channelId, 'severity sev9');

  progress('escalation: amina was paged at once, the DBA tier follows a few seconds later');
  const dm = await waitForPage(NOAH);
  say(`\n**noah** gets a direct message from Firebreak:\n> ${shown(dm.message).replaceAll('\n', '\n> ')}`);
  await click(NOAH, dm.channel, 'escalation_ack', 'Acknowledge', false);
  await settle();
  const aminaPage = slack.messages(slack.imWith(AMINA)!)[0];
  if (aminaPage) say(`\n**amina**'s page now reads:\n> ${shown(aminaPage).replaceAll('\n', '\n> ')}`);

  progress('the lock: a billing worker idle in transaction after a SAVEPOINT, writers queued behind it');
  const root = await contention();
  await type(NOAH, channelId, 'app', '/locks');
  await settle();
  channelNews(channelId);

  progress('ending the root blocker: refused for amina, done by noah');
  await click(AMINA, channelId, 'locks_terminate', 'Terminate session');
  await click(NOAH, channelId, 'locks_terminate', 'Terminate session');
  await settle();
  channelNews(channelId);
  say(`\n(pid ${root} is gone; the queued writers went through.)`);

  await type(NOAH, channelId, 'status monitoring writes flowing again after terminating the idle billing session');
  const pinned = slack.postAsUser(channelId, NOAH, `Terminated pid ${root}; lock released, checkout recovering`);
  await driver.event(slack.messageEvent(pinned));
  await driver.event(slack.reactAsUser(channelId, pinned.ts, AMINA, 'pushpin'));
  say(`\n**noah** posts “${pinned.text}” and **amina** reacts with :pushpin:`);
  await settle();

  const timeline = await driver.slashCommand({ text: 'timeline', userId: AMINA, channelId });
  const [page] = await timeline.waitForResponses(1, 10_000);
  const blocks = (page?.body['blocks'] as { type: string; text?: { text: string } }[] | undefined) ?? [];
  say('\n**amina** types `/incident timeline` and sees, in her own zone:');
  for (const block of blocks) if (block.type === 'section') say(`> ${block.text?.text.replaceAll('\n', '\n> ')}`);

  progress('closing: the postmortem is compiled and published');
  await type(AMINA, channelId, 'close A billing worker left a transaction open after a SAVEPOINT and held row 2 of accounts; writers queued behind it.');
  await settle();
  channelNews(channelId);
  const files = slack.files(channelId);
  mkdirSync(POSTMORTEMS, { recursive: true });
  for (const file of files) {
    const path = join(POSTMORTEMS, file.name);
    writeFileSync(path, file.content);
    say(`\nThe postmortem draft was posted as ${file.name}; saved to ${path}.`);
  }
  if (files.length === 0) throw new Error('no postmortem was published');
  writeFileSync(OUTPUT, `${transcript.join('\n')}\n`);
  progress(`transcript written to ${OUTPUT}`);

  if (INTERACTIVE) {
    say(`\nInteractive: type commands as amina in #${channel.name}, e.g. "/incident note 10 minutes ago checked replicas" or "/locks app". Empty line or Ctrl-D ends.`);
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    for await (const line of rl) {
      const match = /^\s*(\/incident|\/locks)\s*(.*)$/.exec(line);
      if (!match) {
        if (line.trim() === '') break;
        say('Type a slash command: /incident … or /locks …');
        continue;
      }
      await type(AMINA, channelId, match[2] ?? '', match[1]);
      await settle();
      channelNews(channelId);
    }
    rl.close();
  }
} finally {
  driver.close();
  for (const session of sessions) await session.end().catch(() => undefined);
  await bot.stop();
  await slack.close();
  await postgres.stop();
  rmSync(dir, { recursive: true, force: true });
  progress('done; nothing left running');
}

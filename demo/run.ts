// `npm run demo`: the incident lifecycle end to end on this machine, with nothing to install and
// no Slack workspace. The real bot runs on an embedded PostgreSQL; Slack is the emulator the test
// suite uses, driven with signed requests exactly as Slack sends them. It prints what each person
// would see and writes the transcript to firebreak-demo.md.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { startFirebreak } from '../src/firebreak.js';
import { createLogger } from '../src/log.js';
import { startFakeSlack } from '../test/support/fake-slack.js';
import { SlackDriver } from '../test/support/slack-driver.js';

const SECRET = 'demo-signing-secret';
const OUTPUT = process.env.DEMO_OUTPUT ?? 'firebreak-demo.md';
const AMINA = 'U0AMINA001'; // on call in Nairobi
const NOAH = 'U0NOAH0001'; // DBA in New York

const transcript: string[] = ['# Firebreak demo', ''];
function say(line: string): void {
  transcript.push(line);
  process.stdout.write(`${line}\n`);
}

const dir = mkdtempSync(join(tmpdir(), 'firebreak-demo-'));
// As root, the embedded PostgreSQL runs as user postgres: let it into this folder up front rather
// than have the bot open it and log a warning in the middle of the demo.
chmodSync(dir, 0o755);
writeFileSync(join(dir, 'firebreak.yml'), 'timezone: Africa/Nairobi\nchannel_prefix: inc\n');

const slack = await startFakeSlack();
slack.addUser({ id: AMINA, name: 'amina', tz: 'Africa/Nairobi' });
slack.addUser({ id: NOAH, name: 'noah', tz: 'America/New_York' });
const general = slack.addChannel({ name: 'ops', members: [AMINA, NOAH] }).id;

const config = loadConfig({
  SLACK_BOT_TOKEN: slack.botToken,
  SLACK_SIGNING_SECRET: SECRET,
  SLACK_API_URL: slack.apiUrl,
  PORT: '0',
  FIREBREAK_DATA_DIR: join(dir, 'data'),
  FIREBREAK_CONFIG: join(dir, 'firebreak.yml'),
});
say('Starting Firebreak on an embedded PostgreSQL (the first start takes a few seconds)…');
const bot = await startFirebreak(config, createLogger('warn'), { host: '127.0.0.1' });
/** Waits until what the bot owes Slack (card, topic, announcements) has been delivered. */
async function settle(): Promise<void> {
  for (let waited = 0; waited < 10_000 && (await bot.outbox.pendingCount()) > 0; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const driver = new SlackDriver({ botUrl: bot.url, signingSecret: SECRET, fake: slack });

async function type(userId: string, channelId: string, text: string): Promise<string> {
  const name = slack.user(userId)?.name ?? userId;
  say(`\n**${name}** types \`/incident ${text}\``);
  const result = await driver.slashCommand({ text, userId, channelId });
  const inAck = (result.body as { text?: string } | null)?.text;
  const reply = inAck ?? String((await result.waitForResponses(1, 10_000))[0]?.body['text'] ?? '');
  say(`> (only ${name} sees) ${reply.replaceAll('\n', '\n> ')}`);
  return reply;
}

function channelMessages(channelId: string, since: number): number {
  const messages = slack.messages(channelId);
  for (const message of messages.slice(since)) say(`> (#${slack.channel(channelId)?.name}) ${message.text}`);
  return messages.length;
}

try {
  const opened = await type(AMINA, general, 'open sev1 Checkout slow: orders table locked');
  const channelId = /<#(C\w+)>/.exec(opened)?.[1];
  if (!channelId) throw new Error(`the incident did not open: ${opened}`);
  const channel = slack.channel(channelId)!;
  say(`\nSlack now has #${channel.name}, topic “${channel.topic.value}”, members ${channel.members.join(', ')}.`);
  await settle();
  const seen = channelMessages(channelId, 0);

  // The seed postmortem's own lines, typed as their authors typed them (East Africa Time).
  for (const line of [
    'July 23, 2023, 12:34pm: Incident identified - Users reported slow website/application performance and errors.',
    'July 23, 2023  13:17pm: Root cause identified - Concurrent write operations leading to lock contention.',
  ]) {
    await type(AMINA, channelId, `note ${line}`);
  }
  await type(NOAH, channelId, 'note 10 minutes ago pid 4242 idle in transaction since the SAVEPOINT');
  await type(AMINA, channelId, `lead <@${NOAH}|noah>`);
  await type(NOAH, channelId, 'status identified billing connection left idle in transaction');
  await type(AMINA, channelId, 'severity sev9');

  const pinned = slack.postAsUser(channelId, NOAH, 'Terminated pid 4242; lock released, checkout recovering');
  await driver.event(slack.messageEvent(pinned));
  await driver.event(slack.reactAsUser(channelId, pinned.ts, AMINA, 'pushpin'));
  say(`\n**noah** posts “${pinned.text}” and **amina** reacts with :pushpin:`);
  // Slack gets its answer to an event at once; the bot records the pin a moment later.
  for (let waited = 0; waited < 5_000; waited += 50) {
    const { rowCount } = await bot.store.pool.query(
      `SELECT 1 FROM timeline_events WHERE kind = 'pinned' AND source_ts = $1`,
      [pinned.ts],
    );
    if (rowCount) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  const timeline = await driver.slashCommand({ text: 'timeline', userId: AMINA, channelId });
  const [page] = await timeline.waitForResponses(1, 10_000);
  const blocks = (page?.body['blocks'] as { type: string; text?: { text: string } }[] | undefined) ?? [];
  say('\n**amina** types `/incident timeline` and sees, in her own zone:');
  for (const block of blocks) if (block.type === 'section') say(`> ${block.text?.text.replaceAll('\n', '\n> ')}`);

  await type(AMINA, channelId, 'close terminated the idle-in-transaction billing session');
  await settle();
  channelMessages(channelId, seen);
  say(`\nThe incident card was updated in place ${slack.calls('chat.update').length} times.`);
  writeFileSync(OUTPUT, `${transcript.join('\n')}\n`);
  say(`\nTranscript written to ${OUTPUT}. The postmortem draft comes with a later release.`);
} finally {
  driver.close();
  await bot.stop();
  await slack.close();
  rmSync(dir, { recursive: true, force: true });
}

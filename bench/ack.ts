// Slash-command ack latency: the real Firebreak against a bare Bolt app that only acks, in the
// same run, at 100 concurrent requests. Prints p50/p99 of each and their ratio per round, then
// the median of every figure across rounds. Targets (the issue): Firebreak p99 < 100 ms and
// p99 ratio < 1.5. Exit status: 0 whatever the verdict (it is a measurement), 1 on any error
// (a non-200 answer, a command that did not get its reply, set-up failure).
//
//   npx tsx bench/ack.ts          (or npm run bench:ack)
//
// Environment (all optional):
//   BENCH_DATABASE_URL   admin URL; a database fb_bench_<rand> is created there and dropped
//                        (default postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_REDIS_URL      run Firebreak's queues on Redis instead of PostgreSQL
//   BENCH_ROUNDS         rounds (5)
//   BENCH_BATCHES        batches per app per round for the command mix (10)
//   BENCH_HELP_BATCHES   batches per app per round of `/incident help` (5; 0 to skip)
//   BENCH_CONCURRENCY    requests in flight per batch (100)
//   BENCH_WARMUP         warm-up requests per app before the first round, in whole batches (200)
//   BENCH_MIX            comma-separated subset of status,list,note (status,list,note)
//   BENCH_LOG_LEVEL      Firebreak's pino level (silent)
//   BENCH_SPLIT=1        run each app in a child process of its own (see below);
//                        BENCH_CHILD_NODE_ARGS adds node flags to those, e.g. "--cpu-prof"
//
// By default everything runs in this one process, as in the e2e harness
// (test/support/harness.ts): the fake Slack, the signed-request driver, Firebreak and the bare
// app share one event loop. The driver's work is the same for both apps, so the ratio compares
// like with like, but the absolute figures include the driver's own work, and Firebreak's
// figures also include the fake Slack answering its response_url posts (Slack's work, in
// production). BENCH_SPLIT=1 gives each app an event loop of its own, as in production, where
// the client and the fake Slack no longer compete with the app (on 2 cores they run in parallel).
import { createScratchDatabase } from '../test/support/scratch-database.js';
import { startFakeSlack } from '../test/support/fake-slack.js';
import { SlackDriver, type InteractionResult } from '../test/support/slack-driver.js';
import { startApp, startAppProcess, type AppSettings } from './apps.js';
import { intEnv } from './env.js';

const SIGNING_SECRET = 'bench-signing-secret';

const ROUNDS = intEnv('BENCH_ROUNDS', 5, 1);
const BATCHES = intEnv('BENCH_BATCHES', 10, 1);
const HELP_BATCHES = intEnv('BENCH_HELP_BATCHES', 5, 0);
const CONCURRENCY = intEnv('BENCH_CONCURRENCY', 100, 1);
const WARMUP = intEnv('BENCH_WARMUP', 200, 0);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL || null;
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'silent';
const SPLIT = process.env.BENCH_SPLIT === '1';
const TARGET_P99_MS = 100;
const TARGET_RATIO = 1.5;
const SETTLE_TIMEOUT_MS = 15_000;

// ── what is typed ─────────────────────────────────────────────────────────────────────────────

type Kind = 'status' | 'list' | 'note' | 'help';
const MIX_KINDS: readonly Kind[] = ['status', 'list', 'note'];
const MIX: Kind[] = (process.env.BENCH_MIX ?? MIX_KINDS.join(','))
  .split(',')
  .map((s) => s.trim())
  .filter((s) => s !== '')
  .map((s) => {
    if (!(MIX_KINDS as readonly string[]).includes(s)) throw new Error(`BENCH_MIX: unknown command "${s}" (use ${MIX_KINDS.join(',')})`);
    return s as Kind;
  });
if (MIX.length === 0) throw new Error('BENCH_MIX is empty');

const RESPONDERS = ['U0BENCH01', 'U0BENCH02', 'U0BENCH03', 'U0BENCH04', 'U0BENCH05'];

interface Channels {
  /** An ordinary channel: `/incident status …` there is acked, then refused via response_url. */
  general: string;
  /** An open incident's channel: `/incident note …` there is recorded and echoed. */
  incident: string;
}

/**
 * The i-th command of a batch. `status` in a non-incident channel is acked at once, then the bot
 * looks the channel up (one SELECT) and answers "not an incident channel" through response_url;
 * `list` selects the open incidents and answers with them; `note` in the incident channel reads
 * the user's zone, inserts a timeline event, posts the echo and answers. `help` is answered in
 * the ack body itself, with no work after it.
 */
function commandFor(kind: Kind, i: number, channels: Channels): { text: string; userId: string; channelId: string } {
  const userId = RESPONDERS[i % RESPONDERS.length]!;
  switch (kind) {
    case 'status':
      return { text: `status identified bad deploy of checkout ${i}, rolling back`, userId, channelId: channels.general };
    case 'list':
      return { text: 'list', userId, channelId: channels.general };
    case 'note':
      return { text: `note error rate back under 1% on eu-west ${i}`, userId, channelId: channels.incident };
    case 'help':
      return { text: 'help', userId, channelId: channels.general };
  }
}

// ── statistics ────────────────────────────────────────────────────────────────────────────────

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

// ── the two apps ──────────────────────────────────────────────────────────────────────────────

interface Target {
  name: 'firebreak' | 'bare';
  driver: SlackDriver;
  /** Firebreak posts to response_url after its ack; the bare app never does. */
  worksAfterAck: boolean;
  /** Requests sent so far. */
  sent: number;
}

// ── batches ───────────────────────────────────────────────────────────────────────────────────

/**
 * Sends `CONCURRENCY` commands at once and returns their round trips (ms). For Firebreak it then
 * waits until every command that is worked after its ack has posted its reply to response_url.
 *
 * Why wait: the ack is measured under the load it really meets, i.e. the post-ack work (SQL,
 * the response_url POST) of the same batch's earlier requests runs while the later ones are
 * still being acked. But without waiting, each batch would also inherit the unfinished work of
 * the previous ones, a backlog that grows with the run length rather than with the load, and
 * that would land on whichever app happens to run next. Waiting for the replies themselves (not
 * a fixed sleep) is exact, and it also checks that every command was actually worked.
 */
async function batch(target: Target, kinds: readonly Kind[], channels: Channels, offset: number): Promise<number[]> {
  const sent = Array.from({ length: CONCURRENCY }, (_, j) => {
    const kind = kinds[(offset + j) % kinds.length]!;
    return target.driver.slashCommand(commandFor(kind, offset + j, channels)).then((result) => ({ kind, result }));
  });
  target.sent += CONCURRENCY;
  const done = await Promise.all(sent);
  for (const { kind, result } of done) {
    if (result.status !== 200) {
      throw new Error(`${target.name}: /incident ${kind} answered HTTP ${result.status}: ${result.text.slice(0, 200)}`);
    }
    if (target.name === 'firebreak' && kind === 'help' && !/\/incident/.test(result.text)) {
      throw new Error(`firebreak: /incident help acked without the help text: ${result.text.slice(0, 200)}`);
    }
  }
  if (target.worksAfterAck) {
    await settle(done.filter(({ kind }) => kind !== 'help'));
  }
  return done.map(({ result }) => result.ms);
}

const EXPECTED_REPLY: Record<Exclude<Kind, 'help'>, RegExp> = {
  status: /not an incident channel/,
  list: /open incident/,
  note: /Added to the timeline/,
};

/**
 * Polls the fake Slack until each reply arrived and says what it should. Each look-up scans the
 * fake's whole reply log, so it checks the oldest pending reply and sleeps while that one is
 * missing, instead of re-scanning all 100 every few ms (replies come back roughly in order).
 */
async function settle(pending: { kind: Kind; result: InteractionResult }[]): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  const waiting = [...pending];
  while (waiting.length > 0) {
    const item = waiting[0]!;
    const [reply] = item.result.responses();
    if (reply === undefined) {
      if (Date.now() > deadline) {
        throw new Error(`firebreak: ${waiting.length} command(s) got no response_url reply within ${SETTLE_TIMEOUT_MS} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
      continue;
    }
    const text = String(reply.body['text'] ?? '');
    if (!EXPECTED_REPLY[item.kind as Exclude<Kind, 'help'>].test(text)) {
      throw new Error(`firebreak: /incident ${item.kind} got an unexpected reply: ${text.slice(0, 200)}`);
    }
    waiting.shift();
  }
}

// ── output ────────────────────────────────────────────────────────────────────────────────────

interface RoundFigures {
  fb: Summary;
  bare: Summary;
  helpFb: Summary | null;
  helpBare: Summary | null;
}

const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '-');
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '-');
const pad = (s: string, w: number): string => s.padStart(w);

function row(label: string, fb: Summary, bare: Summary, ratios = { p50: fb.p50 / bare.p50, p99: fb.p99 / bare.p99 }): string {
  return [
    label.padEnd(16),
    pad(f1(fb.p50), 8), pad(f1(fb.p99), 8), pad(f1(fb.max), 8),
    pad(f1(bare.p50), 8), pad(f1(bare.p99), 8), pad(f1(bare.max), 8),
    pad(f2(ratios.p50), 7), pad(f2(ratios.p99), 7),
  ].join(' ');
}

const HEADER = [
  ''.padEnd(16),
  pad('fb p50', 8), pad('fb p99', 8), pad('fb max', 8),
  pad('bare p50', 8), pad('bare p99', 8), pad('bare max', 8),
  pad('r p50', 7), pad('r p99', 7),
].join(' ');

/** Median of each figure (and of each round's ratio) across rounds. */
function medians(rounds: readonly { fb: Summary; bare: Summary }[]) {
  const m = (pick: (r: { fb: Summary; bare: Summary }) => number) => median(rounds.map(pick));
  return {
    fb: { n: m((r) => r.fb.n), p50: m((r) => r.fb.p50), p99: m((r) => r.fb.p99), max: m((r) => r.fb.max) },
    bare: { n: m((r) => r.bare.n), p50: m((r) => r.bare.p50), p99: m((r) => r.bare.p99), max: m((r) => r.bare.max) },
    ratioP50: m((r) => r.fb.p50 / r.bare.p50),
    ratioP99: m((r) => r.fb.p99 / r.bare.p99),
  };
}

/** Reads a Prometheus histogram's count and cumulative buckets from the exposition text. */
function histogram(text: string, name: string): { count: number; buckets: [string, number][] } {
  const count = Number(new RegExp(`^${name}_count(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"[^}]*\\} (\\S+)$`, 'gm'))].map(
    (match): [string, number] => [match[1]!, Number(match[2])],
  );
  return { count, buckets };
}

// ── main ──────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    for (const step of cleanups.reverse()) await step().catch((error: unknown) => console.error('clean-up:', error));
  };
  try {
    const database = await createScratchDatabase(ADMIN_URL, 'fb_bench');
    cleanups.push(() => database.drop());
    const fake = await startFakeSlack();
    cleanups.push(() => fake.close());
    const settings: AppSettings = {
      signingSecret: SIGNING_SECRET,
      slackApiUrl: fake.apiUrl,
      botToken: fake.botToken,
      databaseUrl: database.url,
      redisUrl: REDIS_URL,
      logLevel: LOG_LEVEL,
    };
    const start = SPLIT ? startAppProcess : startApp;
    const bot = await start('firebreak', settings);
    cleanups.push(() => bot.close());
    const bare = await start('bare', settings);
    cleanups.push(() => bare.close());

    const firebreak: Target = { name: 'firebreak', driver: new SlackDriver({ botUrl: bot.url, signingSecret: SIGNING_SECRET, fake }), worksAfterAck: true, sent: 0 };
    const baseline: Target = { name: 'bare', driver: new SlackDriver({ botUrl: bare.url, signingSecret: SIGNING_SECRET, fake }), worksAfterAck: false, sent: 0 };
    cleanups.push(async () => {
      firebreak.driver.close();
      baseline.driver.close();
    });

    // The workspace: a few responders, an ordinary channel, and one open incident (so `list` has
    // something to list and `note` has a channel to write in).
    const zones = ['UTC', 'Africa/Nairobi', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'];
    RESPONDERS.forEach((id, i) => fake.addUser({ id, name: `responder${i + 1}`, tz: zones[i % zones.length]! }));
    const general = fake.addChannel({ name: 'general', members: RESPONDERS }).id;
    const opened = await firebreak.driver.slashCommand({ text: 'open sev2 Checkout latency (benchmark)', userId: RESPONDERS[0]!, channelId: general });
    firebreak.sent += 1;
    if (opened.status !== 200) throw new Error(`could not open the benchmark incident: HTTP ${opened.status}`);
    const [openReply] = await opened.waitForResponses(1, 10_000);
    const incident = /<#(C\w+)>/.exec(String(openReply?.body['text'] ?? ''))?.[1];
    if (incident === undefined) throw new Error(`could not open the benchmark incident: ${JSON.stringify(openReply?.body)}`);
    const channels: Channels = { general, incident };

    console.log(
      `ack benchmark: node ${process.version}, ${ROUNDS} round(s) × ${BATCHES} batch(es) of ${CONCURRENCY} concurrent /incident ` +
        `[${MIX.join(', ')}] per app` +
        (HELP_BATCHES > 0 ? `, plus ${HELP_BATCHES} batch(es) of /incident help` : '') +
        `; queues on ${REDIS_URL ? 'redis' : 'postgres'}; ${SPLIT ? 'each app in its own process' : 'all in one process'}; warm-up ${WARMUP} per app`,
    );

    // Warm-up: JIT, connection pools, keep-alive sockets (at full concurrency), the user cache.
    let offset = 0;
    for (let sent = 0; sent < WARMUP; sent += CONCURRENCY) {
      for (const target of [firebreak, baseline]) await batch(target, [...MIX, 'help'], channels, offset);
      offset += CONCURRENCY;
    }

    const rounds: RoundFigures[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const samples = { firebreak: [] as number[], bare: [] as number[] };
      const help = { firebreak: [] as number[], bare: [] as number[] };
      // Interleaved, and the first app alternates between rounds, so noise and drift hit both.
      const order = round % 2 === 1 ? [firebreak, baseline] : [baseline, firebreak];
      for (let b = 0; b < BATCHES; b++) {
        for (const target of order) samples[target.name].push(...(await batch(target, MIX, channels, offset)));
        offset += CONCURRENCY;
      }
      for (let b = 0; b < HELP_BATCHES; b++) {
        for (const target of order) help[target.name].push(...(await batch(target, ['help'], channels, offset)));
        offset += CONCURRENCY;
      }
      const figures: RoundFigures = {
        fb: summarize(samples.firebreak),
        bare: summarize(samples.bare),
        helpFb: HELP_BATCHES > 0 ? summarize(help.firebreak) : null,
        helpBare: HELP_BATCHES > 0 ? summarize(help.bare) : null,
      };
      rounds.push(figures);
      if (round === 1) console.log(`\nper round, ms (r = firebreak / bare)\n${HEADER}`);
      console.log(row(`round ${round} mix`, figures.fb, figures.bare));
      if (figures.helpFb && figures.helpBare) console.log(row(`round ${round} help`, figures.helpFb, figures.helpBare));
    }

    const mix = medians(rounds);
    const helpRounds = rounds.flatMap((r) => (r.helpFb && r.helpBare ? [{ fb: r.helpFb, bare: r.helpBare }] : []));
    const help = helpRounds.length > 0 ? medians(helpRounds) : null;
    console.log(`\nmedian of ${ROUNDS} round(s), ms (ratios are the median of each round's ratio)`);
    console.log(HEADER);
    const medianRow = (label: string, m: ReturnType<typeof medians>) => row(label, m.fb, m.bare, { p50: m.ratioP50, p99: m.ratioP99 });
    console.log(medianRow(`mix (${mix.fb.n}/round)`, mix));
    if (help) console.log(medianRow(`help (${help.fb.n}/round)`, help));

    const metricsText = await fetch(`${bot.url}/metrics`).then((res) => res.text());
    const acks = histogram(metricsText, 'firebreak_slack_ack_seconds');
    const under = (le: string) => acks.buckets.find(([bound]) => bound === le)?.[1] ?? Number.NaN;
    console.log(
      `\nFirebreak /metrics: firebreak_slack_ack_seconds_count ${acks.count} (${firebreak.sent} sent; ` +
        `server-side ${f1((100 * under('0.05')) / acks.count)}% within 50 ms, ${f1((100 * under('0.1')) / acks.count)}% within 100 ms)`,
    );
    if (acks.count !== firebreak.sent) throw new Error(`Firebreak's /metrics counted ${acks.count} Slack requests, ${firebreak.sent} were sent`);
    const p99ok = mix.fb.p99 < TARGET_P99_MS;
    const ratioOk = mix.ratioP99 < TARGET_RATIO;
    console.log(
      `verdict: Firebreak p99 ${f1(mix.fb.p99)} ms ${p99ok ? '<' : '>='} ${TARGET_P99_MS} ms ${p99ok ? 'MET' : 'MISSED'}; ` +
        `p99 ratio ${f2(mix.ratioP99)} ${ratioOk ? '<' : '>='} ${TARGET_RATIO} ${ratioOk ? 'MET' : 'MISSED'} (p50 ratio ${f2(mix.ratioP50)})`,
    );
  } catch (error) {
    process.exitCode = 1;
    console.error('benchmark failed:', error instanceof Error ? (error.stack ?? error.message) : error);
  } finally {
    await cleanUp();
  }
}

await main();

// Sustained load: 2,000 mixed slash commands with 200 in flight at all times, against the real
// Firebreak and a bare Bolt app that only acks, in the same run, each app and the fake Slack in a
// process of its own. Reports ack p50/p99 of both and their ratio, throughput, Firebreak's peak
// RSS, and proves that every command's reply (response_url) and effect (channel post, card and
// topic update) arrived, with reply latency and throughput. Median of the rounds.
//
//   npm run bench:load          (= npx tsx bench/load.ts)
//
// Targets (issue 6): p99 ratio <= 1.3, 0 errors, 0 lost, RSS < 300 MB, replies >= 400/s.
// Exit status: 0 whatever the verdict (a measurement), 1 on an error or a lost reply/effect.
// Environment (all optional):
//   BENCH_COMMANDS     commands per app per round (2000)
//   BENCH_INFLIGHT     commands kept in flight (200)
//   BENCH_ROUNDS       rounds (5)
//   BENCH_INCIDENTS    incidents opened before measuring; the commands go to their channels (10)
//   BENCH_WARMUP       warm-up commands per app (400)
//   BENCH_DATABASE_URL admin URL; a database fb_load_<rand> is created there and dropped
//   BENCH_REDIS_URL    Firebreak's queues on Redis instead of PostgreSQL
//   BENCH_LOG_LEVEL    Firebreak's pino level (silent)
//   BENCH_CHILD_NODE_ARGS  node flags for the app processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createScratchDatabase } from '../test/support/scratch-database.js';
import { compileAppProcess, startAppProcess, type AppSettings, type RunningApp } from './apps.js';
import { intEnv } from './env.js';
import { RemoteFakeSlack, type CallCounts, type PreparedCommand } from './fake-slack-remote.js';

const SIGNING_SECRET = 'bench-signing-secret';

const COMMANDS = intEnv('BENCH_COMMANDS', 2000, 1);
const INFLIGHT = intEnv('BENCH_INFLIGHT', 200, 1);
const ROUNDS = intEnv('BENCH_ROUNDS', 5, 1);
const INCIDENTS = intEnv('BENCH_INCIDENTS', 10, 1);
const WARMUP = intEnv('BENCH_WARMUP', 400, 0);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL || null;
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'silent';
const SETTLE_TIMEOUT_MS = 60_000;
const TARGETS = { ratioP99: 1.3, rssMb: 300, repliesPerSec: 400 };

// ── what is typed ─────────────────────────────────────────────────────────────────────────────

type Kind = 'note' | 'status' | 'timeline' | 'list';
const KINDS: readonly Kind[] = ['note', 'status', 'timeline', 'list'];
const RESPONDERS = ['U0LOAD01', 'U0LOAD02', 'U0LOAD03', 'U0LOAD04', 'U0LOAD05'];
const ZONES = ['UTC', 'Africa/Nairobi', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'];
// A status differs from the one before it in the same channel, so each is a real change.
const STATUS_CYCLE = ['identified', 'monitoring', 'investigating'] as const;

interface Command {
  kind: Kind;
  text: string;
  userId: string;
  channelId: string;
}

const EXPECTED_REPLY: Record<Kind, RegExp> = {
  note: /^Added to the timeline/,
  // "already" when two status changes of one channel arrived out of order (new connections are
  // accepted in any order): correct, but then that change owes no effects.
  status: /^Recorded\.$|^:warning: The status is already/,
  timeline: /^Timeline of incident #\d+/,
  list: /^\*\d+ open incidents?\*/,
};

/** One round's commands: the four kinds in equal parts, spread over the incident channels. */
function roundCommands(round: number, count: number, channels: readonly string[], statusSeq: number[]): Command[] {
  return Array.from({ length: count }, (_, i) => {
    const c = i % channels.length;
    const kind = KINDS[Math.floor(i / channels.length) % KINDS.length]!;
    const userId = RESPONDERS[i % RESPONDERS.length]!;
    const channelId = channels[c]!;
    switch (kind) {
      case 'note':
        return { kind, userId, channelId, text: `note error rate back under 1% on eu-west r${round} #${i}` };
      case 'status': {
        const status = STATUS_CYCLE[statusSeq[c]! % STATUS_CYCLE.length]!;
        statusSeq[c]! += 1;
        return { kind, userId, channelId, text: `status ${status} load r${round} #${i}` };
      }
      case 'timeline':
      case 'list':
        return { kind, userId, channelId, text: kind };
    }
  });
}

// ── statistics ────────────────────────────────────────────────────────────────────────────────

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const wallNow = (): number => performance.timeOrigin + performance.now();

// ── the client: signed slash commands over keep-alive sockets ─────────────────────────────────

interface Sent {
  status: number;
  text: string;
  /** Round trip, ms. */
  ms: number;
  /** When the ack was read (wall clock, ms). */
  ackedAt: number;
}

class Client {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: INFLIGHT + 16 });
  private readonly endpoint: URL;

  constructor(baseUrl: string) {
    this.endpoint = new URL('/slack/events', baseUrl);
  }

  send(body: string): Promise<Sent> {
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = `v0=${createHmac('sha256', SIGNING_SECRET).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(this.endpoint, {
        method: 'POST',
        agent: this.agent,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(Buffer.byteLength(body)),
          'x-slack-request-timestamp': String(timestamp),
          'x-slack-signature': signature,
        },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const ended = performance.now();
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: ended - started, ackedAt: performance.timeOrigin + ended });
        });
      });
      req.setTimeout(30_000, () => req.destroy(new Error('no answer within 30 s')));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

// ── one app's share of a round ────────────────────────────────────────────────────────────────

interface Segment {
  acks: number[];
  /** Acked with an empty body: recorded, so a reply and its effects are owed. */
  taken: boolean[];
  ackedAt: number[];
  startedAt: number;
  lastAckAt: number;
  errors: string[];
}

/** Sends every command with `INFLIGHT` outstanding at all times: each answer lets the next one go. */
async function sustained(client: Client, prepared: readonly PreparedCommand[], acceptAck: (text: string) => boolean): Promise<Segment> {
  const acks = new Array<number>(prepared.length);
  const ackedAt = new Array<number>(prepared.length);
  const taken = new Array<boolean>(prepared.length).fill(false);
  const errors: string[] = [];
  let next = 0;
  const startedAt = wallNow();
  const lane = async () => {
    while (next < prepared.length) {
      const i = next++;
      try {
        const sent = await client.send(prepared[i]!.body);
        acks[i] = sent.ms;
        ackedAt[i] = sent.ackedAt;
        if (sent.status !== 200) errors.push(`HTTP ${sent.status}: ${sent.text.slice(0, 120)}`);
        else if (!acceptAck(sent.text)) errors.push(`ack said: ${sent.text.slice(0, 160)}`);
        else taken[i] = true;
      } catch (error) {
        acks[i] = Number.NaN;
        ackedAt[i] = Number.NaN;
        errors.push(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(INFLIGHT, prepared.length) }, lane));
  return { acks, taken, ackedAt, startedAt, lastAckAt: Math.max(...ackedAt.filter(Number.isFinite)), errors };
}

/** Firebreak's peak resident memory while `work` runs (sampled), and its high-water mark after. */
async function sampleMemory<T>(pid: number, work: Promise<T>): Promise<{ value: T; peakRssMb: number; hwmMb: number }> {
  let peak = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      peak = Math.max(peak, (await procStatus(pid)).rss);
      await sleep(50);
    }
  })();
  try {
    const value = await work;
    return { value, peakRssMb: peak, hwmMb: (await procStatus(pid)).hwm };
  } finally {
    done = true;
    await sampler;
  }
}

async function procStatus(pid: number): Promise<{ rss: number; hwm: number }> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

interface FirebreakFigures {
  replies: number;
  lostReplies: number;
  wrongReplies: string[];
  replyP50: number;
  replyP99: number;
  repliesPerSec: number;
  lastReplyAfterLastAckMs: number;
  effectsExpected: number;
  effectsLanded: number;
  lastEffectAfterLastAckMs: number;
  raced: number;
  peakRssMb: number;
  hwmMb: number;
}

interface AppFigures {
  n: number;
  p50: number;
  p99: number;
  max: number;
  acksPerSec: number;
  errors: string[];
}

function ackFigures(segment: Segment): AppFigures {
  const sorted = segment.acks.filter(Number.isFinite).sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    acksPerSec: sorted.length / ((segment.lastAckAt - segment.startedAt) / 1000),
    errors: segment.errors,
  };
}

interface Harness {
  fake: RemoteFakeSlack;
  /** response_url id → when the fake answered its first post. */
  replies: Map<string, number>;
  firebreak: RunningApp & { pid: number };
  fbClient: Client;
  bareClient: Client;
  channels: string[];
}

async function waitFor(what: string, done: () => boolean | Promise<boolean>, timeoutMs = SETTLE_TIMEOUT_MS, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) {
      console.error(`gave up waiting for ${what} after ${timeoutMs} ms`);
      return false;
    }
    await sleep(everyMs);
  }
  return true;
}

/** Firebreak's share: the acks, then every reply and effect, checked and timed. */
async function runFirebreak(h: Harness, commands: readonly Command[]): Promise<{ acks: AppFigures; fb: FirebreakFigures }> {
  const prepared = await h.fake.call('prepare', commands.map(({ text, userId, channelId }) => ({ text, userId, channelId })));
  const since: CallCounts = await h.fake.call('callCounts', null);
  // Each of these is acked with an empty body; anything else (busy, store down) is an error.
  const measured = await sampleMemory(h.firebreak.pid, (async () => {
    const segment = await sustained(h.fbClient, prepared, (text) => text === '');
    // A command refused in its ack (busy) has its answer there and is never worked.
    const owed = prepared.filter((_, i) => segment.taken[i]).map((p) => p.responseUrlId);
    await waitFor('every response_url reply', () => owed.every((id) => h.replies.has(id)));
    return segment;
  })());
  const segment = measured.value;
  const ids = prepared.filter((_, i) => segment.taken[i]).map((p) => p.responseUrlId);
  const replyTimes = prepared.map((p, i) => (segment.taken[i] ? h.replies.get(p.responseUrlId) : undefined));
  const texts = await h.fake.call('replyTexts', prepared.map((p) => p.responseUrlId));
  const wrongReplies: string[] = [];
  let raced = 0;
  commands.forEach((c, i) => {
    const text = texts[i];
    if (text === null || text === undefined) return;
    if (!EXPECTED_REPLY[c.kind].test(text)) wrongReplies.push(`${c.kind}: ${text.slice(0, 160)}`);
    if (c.kind === 'status' && text !== 'Recorded.') raced += 1;
  });

  // The effects each command owes: a note its echo; a recorded status change its announcement,
  // a card update and a topic update (the last two rendered from the incident as delivered).
  const keys: string[] = [];
  let changes = 0;
  commands.forEach((c, i) => {
    if (!segment.taken[i]) return;
    if (c.kind === 'note') keys.push(`note:${prepared[i]!.triggerId}`);
    if (c.kind === 'status' && texts[i] === 'Recorded.') {
      keys.push(`announce:${prepared[i]!.triggerId}`);
      changes += 1;
    }
  });
  let report = await h.fake.call('effects', { channels: h.channels, keys, since });
  const landed = () => report.found.filter((t) => t !== null).length + Math.min(report.cardUpdates, changes) + Math.min(report.topics, changes);
  const effectsExpected = keys.length + 2 * changes;
  const complete = await waitFor('every Slack effect', async () => {
    report = await h.fake.call('effects', { channels: h.channels, keys, since });
    return landed() >= effectsExpected;
  }, SETTLE_TIMEOUT_MS, 200);
  if (!complete) {
    console.error(
      `  missing: ${report.found.filter((t) => t === null).length} of ${keys.length} posts, ` +
        `card updates ${report.cardUpdates}/${changes}, topics ${report.topics}/${changes}`,
    );
  }
  const effectTimes = [...report.found.filter((t): t is number => t !== null), ...(report.lastCallAt !== null ? [report.lastCallAt] : [])];

  const latencies = replyTimes
    .map((t, i) => (t === undefined ? Number.NaN : t - segment.ackedAt[i]!))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const arrived = replyTimes.filter((t): t is number => t !== undefined);
  const lastReply = Math.max(...arrived);
  return {
    acks: ackFigures(segment),
    fb: {
      replies: arrived.length,
      lostReplies: ids.length - ids.filter((id) => h.replies.has(id)).length,
      wrongReplies,
      replyP50: percentile(latencies, 50),
      replyP99: percentile(latencies, 99),
      repliesPerSec: arrived.length / ((lastReply - segment.startedAt) / 1000),
      lastReplyAfterLastAckMs: lastReply - segment.lastAckAt,
      effectsExpected,
      effectsLanded: landed(),
      lastEffectAfterLastAckMs: Math.max(...effectTimes) - segment.lastAckAt,
      raced,
      peakRssMb: measured.peakRssMb,
      hwmMb: measured.hwmMb,
    },
  };
}

async function runBare(h: Harness, commands: readonly Command[]): Promise<AppFigures> {
  const prepared = await h.fake.call('prepare', commands.map(({ text, userId, channelId }) => ({ text, userId, channelId })));
  return ackFigures(await sustained(h.bareClient, prepared, (text) => text === ''));
}

// ── output ────────────────────────────────────────────────────────────────────────────────────

interface RoundFigures {
  fbAcks: AppFigures;
  bare: AppFigures;
  fb: FirebreakFigures;
}

const f0 = (n: number): string => (Number.isFinite(n) ? n.toFixed(0) : '-');
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '-');
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '-');

const COLUMNS: [string, number, (r: RoundFigures) => string][] = [
  ['fb p50', 7, (r) => f1(r.fbAcks.p50)],
  ['fb p99', 7, (r) => f1(r.fbAcks.p99)],
  ['bare p50', 8, (r) => f1(r.bare.p50)],
  ['bare p99', 8, (r) => f1(r.bare.p99)],
  ['r p50', 6, (r) => f2(r.fbAcks.p50 / r.bare.p50)],
  ['r p99', 6, (r) => f2(r.fbAcks.p99 / r.bare.p99)],
  ['fb ack/s', 8, (r) => f0(r.fbAcks.acksPerSec)],
  ['bare ack/s', 10, (r) => f0(r.bare.acksPerSec)],
  ['replies', 9, (r) => `${r.fb.replies}/${r.fbAcks.n}`],
  ['effects', 11, (r) => `${r.fb.effectsLanded}/${r.fb.effectsExpected}`],
  ['reply p50', 9, (r) => f0(r.fb.replyP50)],
  ['reply p99', 9, (r) => f0(r.fb.replyP99)],
  ['reply/s', 7, (r) => f0(r.fb.repliesPerSec)],
  ['last reply', 10, (r) => `+${f0(r.fb.lastReplyAfterLastAckMs)}`],
  ['last effect', 11, (r) => `+${f0(r.fb.lastEffectAfterLastAckMs)}`],
  ['RSS MB', 6, (r) => f0(r.fb.peakRssMb)],
  ['errors', 6, (r) => String(r.fbAcks.errors.length + r.bare.errors.length + r.fb.wrongReplies.length)],
];

const header = (): string => [''.padEnd(9), ...COLUMNS.map(([name, width]) => name.padStart(width))].join(' ');
const line = (label: string, r: RoundFigures): string => [label.padEnd(9), ...COLUMNS.map(([, width, cell]) => cell(r).padStart(width))].join(' ');

function medianRound(rounds: readonly RoundFigures[]): RoundFigures {
  const m = (pick: (r: RoundFigures) => number) => median(rounds.map(pick));
  const apps = (pick: (r: RoundFigures) => AppFigures): AppFigures => ({
    n: m((r) => pick(r).n), p50: m((r) => pick(r).p50), p99: m((r) => pick(r).p99), max: m((r) => pick(r).max),
    acksPerSec: m((r) => pick(r).acksPerSec), errors: rounds.flatMap((r) => pick(r).errors),
  });
  const fbAcks = apps((r) => r.fbAcks);
  const bare = apps((r) => r.bare);
  return {
    fbAcks, bare,
    fb: {
      replies: m((r) => r.fb.replies), lostReplies: m((r) => r.fb.lostReplies), wrongReplies: rounds.flatMap((r) => r.fb.wrongReplies),
      replyP50: m((r) => r.fb.replyP50), replyP99: m((r) => r.fb.replyP99), repliesPerSec: m((r) => r.fb.repliesPerSec),
      lastReplyAfterLastAckMs: m((r) => r.fb.lastReplyAfterLastAckMs), effectsExpected: m((r) => r.fb.effectsExpected),
      effectsLanded: m((r) => r.fb.effectsLanded), lastEffectAfterLastAckMs: m((r) => r.fb.lastEffectAfterLastAckMs),
      raced: m((r) => r.fb.raced), peakRssMb: Math.max(...rounds.map((r) => r.fb.peakRssMb)), hwmMb: Math.max(...rounds.map((r) => r.fb.hwmMb)),
    },
  };
}

// ── main ──────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  // Both apps run compiled, as `npm start` runs the bot, so RSS is the bot's and not tsx's.
  compileAppProcess();
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const database = await createScratchDatabase(ADMIN_URL, 'fb_load');
    cleanups.push(() => database.drop());
    const replies = new Map<string, number>();
    const fake = await RemoteFakeSlack.start((items) => {
      for (const [id, at] of items) if (!replies.has(id)) replies.set(id, at);
    });
    cleanups.push(() => fake.close());
    const info = await fake.call('info', null);
    const settings: AppSettings = {
      signingSecret: SIGNING_SECRET, slackApiUrl: info.apiUrl, botToken: info.botToken,
      databaseUrl: database.url, redisUrl: REDIS_URL, logLevel: LOG_LEVEL,
    };
    const firebreak = await startAppProcess('firebreak', settings, { compiled: true });
    cleanups.push(() => firebreak.close());
    const bare = await startAppProcess('bare', settings, { compiled: true });
    cleanups.push(() => bare.close());
    if (firebreak.pid === undefined) throw new Error('the Firebreak process has no pid');
    const fbClient = new Client(firebreak.url);
    const bareClient = new Client(bare.url);
    cleanups.push(async () => {
      fbClient.close();
      bareClient.close();
    });

    // The workspace, and the incidents the commands are typed in, opened outside the measurement.
    for (const [i, id] of RESPONDERS.entries()) await fake.call('addUser', { id, name: `responder${i + 1}`, tz: ZONES[i % ZONES.length]! });
    const general = await fake.call('addChannel', { name: 'general', members: RESPONDERS });
    const opens = await fake.call('prepare', Array.from({ length: INCIDENTS }, (_, i) => ({
      text: `open sev${(i % 4) + 1} Checkout latency ${i + 1} (load benchmark)`, userId: RESPONDERS[i % RESPONDERS.length]!, channelId: general,
    })));
    for (const open of opens) {
      const sent = await fbClient.send(open.body);
      if (sent.status !== 200) throw new Error(`could not open an incident: HTTP ${sent.status} ${sent.text}`);
    }
    if (!(await waitFor('the incidents to open', () => opens.every((o) => replies.has(o.responseUrlId)), 30_000))) {
      throw new Error('the incidents did not open');
    }
    const channels = (await fake.call('replyTexts', opens.map((o) => o.responseUrlId))).map((text) => {
      const id = /<#(C\w+)>/.exec(text ?? '')?.[1];
      if (id === undefined) throw new Error(`could not open an incident: ${text}`);
      return id;
    });
    const h: Harness = { fake, replies, firebreak: { ...firebreak, pid: firebreak.pid }, fbClient, bareClient, channels };
    const statusSeq = channels.map(() => 0);

    console.log(
      `load benchmark: node ${process.version}; ${ROUNDS} round(s) of ${COMMANDS} /incident [${KINDS.join(', ')}] per app, ` +
        `${INFLIGHT} in flight at all times, in ${INCIDENTS} incident channels; queues on ${REDIS_URL ? 'redis' : 'postgres'}; ` +
        `Firebreak, the bare app and the fake Slack each in its own process; warm-up ${WARMUP} per app`,
    );
    if (WARMUP > 0) {
      const warm = roundCommands(0, WARMUP, channels, statusSeq);
      await runFirebreak(h, warm);
      await runBare(h, warm);
    }

    const rounds: RoundFigures[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const commands = roundCommands(round, COMMANDS, channels, statusSeq);
      // The first app alternates; Firebreak's replies and effects have all landed before the bare app starts.
      let bareFigures: AppFigures | null = null;
      if (round % 2 === 0) bareFigures = await runBare(h, commands);
      const fb = await runFirebreak(h, commands);
      bareFigures ??= await runBare(h, commands);
      const figures: RoundFigures = { fbAcks: fb.acks, bare: bareFigures, fb: fb.fb };
      rounds.push(figures);
      if (round === 1) console.log(`\nper round (ms unless said; r = Firebreak / bare; last reply/effect: ms after the last ack)\n${header()}`);
      console.log(line(`round ${round}`, figures));
      for (const error of [...fb.acks.errors, ...bareFigures.errors, ...fb.fb.wrongReplies].slice(0, 5)) console.log(`  error: ${error}`);
    }

    const m = medianRound(rounds);
    const ratioP50 = median(rounds.map((r) => r.fbAcks.p50 / r.bare.p50));
    const ratioP99 = median(rounds.map((r) => r.fbAcks.p99 / r.bare.p99));
    console.log(`\nmedian of ${ROUNDS} round(s) (RSS: the highest; errors: the total)`);
    console.log(header());
    console.log(line('median', m));
    console.log(`  ratios (median of the rounds' ratios): p50 ${f2(ratioP50)}, p99 ${f2(ratioP99)}; status changes answered "already" (handled out of order): ${f0(m.fb.raced)}`);

    const failedCalls = await fake.call('failedCalls', null);
    const lost = rounds.reduce((n, r) => n + r.fb.lostReplies + (r.fb.effectsExpected - r.fb.effectsLanded), 0);
    const errors = rounds.reduce((n, r) => n + r.fbAcks.errors.length + r.bare.errors.length + r.fb.wrongReplies.length, 0) + failedCalls.length;
    for (const call of failedCalls.slice(0, 5)) console.log(`  Slack answered not ok: ${call}`);
    const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
    console.log(
      `\nverdict: p99 ratio ${f2(ratioP99)} <= ${TARGETS.ratioP99} ${verdict(ratioP99 <= TARGETS.ratioP99)}; ` +
        `errors ${errors} ${verdict(errors === 0)}; lost ${lost} ${verdict(lost === 0)}; ` +
        `RSS peak ${f0(m.fb.peakRssMb)} MB (VmHWM ${f0(m.fb.hwmMb)} MB) < ${TARGETS.rssMb} ${verdict(m.fb.hwmMb < TARGETS.rssMb)}; ` +
        `replies ${f0(m.fb.repliesPerSec)}/s >= ${TARGETS.repliesPerSec} ${verdict(m.fb.repliesPerSec >= TARGETS.repliesPerSec)}`,
    );
    if (errors > 0 || lost > 0) process.exitCode = 1;
  } catch (error) {
    process.exitCode = 1;
    console.error('benchmark failed:', error instanceof Error ? (error.stack ?? error.message) : error);
  } finally {
    for (const step of cleanups.reverse()) await step().catch((error: unknown) => console.error('clean-up:', error));
  }
}

await main();

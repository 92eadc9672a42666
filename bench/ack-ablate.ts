// Where Firebreak's extra ack latency comes from: bare Bolt apps with one Firebreak ingredient
// added at a time, each measured against the plain bare app in the same run, the same way as
// bench/ack.ts (100 concurrent slash commands per batch, interleaved, median of rounds). No
// database and no post-ack work: this isolates the cost on the path to the ack itself. The last
// variants try candidate fixes (Bolt's conversation store off, one global middleware not two).
//
//   npx tsx bench/ack-ablate.ts        (BENCH_ROUNDS, BENCH_BATCHES, BENCH_CONCURRENCY as in ack.ts)
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import { createHttpServer } from '../src/http/server.js';
import { Metrics } from '../src/http/metrics.js';
import { helpText, parseIncidentCommand } from '../src/incidents/command.js';
import { InFlight } from '../src/inflight.js';
import { createLogger } from '../src/log.js';
import { boltLogger } from '../src/slack/bolt-logger.js';
import { startFakeSlack, type FakeSlack } from '../test/support/fake-slack.js';
import { SlackDriver } from '../test/support/slack-driver.js';

const SIGNING_SECRET = 'bench-signing-secret';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 10);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 100);

interface Variant {
  /** Firebreak's HTTP server (route matching, request counter, ack histogram) around Bolt. */
  server?: boolean;
  /** Firebreak's pino-backed Bolt logger (level silent) instead of Bolt's console logger. */
  logger?: boolean;
  /** Firebreak's two global middlewares (in-flight tracking, event_id dedupe). */
  middleware?: boolean;
  /** Firebreak's other listeners (/locks, a block action, a view, three events). */
  listeners?: boolean;
  /** Firebreak's /incident body up to the ack: parse the text, count it; help acks with its text. */
  handler?: boolean;
  /** A possible fix: one global middleware doing both jobs instead of two. */
  mergedMiddleware?: boolean;
  /** A possible fix: Bolt's conversation store (a global middleware Firebreak does not use) off. */
  noConvoStore?: boolean;
}

const VARIANTS: Record<string, Variant> = {
  bare: {},
  'bare again': {},
  '+ http server/metrics': { server: true },
  '+ pino bolt logger': { logger: true },
  '+ 2 middlewares': { middleware: true },
  '+ 6 more listeners': { listeners: true },
  '+ command handler': { handler: true },
  'all of the above': { server: true, logger: true, middleware: true, listeners: true, handler: true },
  '  with convoStore off': { server: true, logger: true, middleware: true, listeners: true, handler: true, noConvoStore: true },
  '  with 1 middleware': { server: true, logger: true, mergedMiddleware: true, listeners: true, handler: true },
  '  with both': { server: true, logger: true, mergedMiddleware: true, listeners: true, handler: true, noConvoStore: true },
  'bare, convoStore off': { noConvoStore: true },
};

async function start(fake: FakeSlack, v: Variant): Promise<{ url: string; close(): Promise<void> }> {
  const log = createLogger('silent');
  const logger: BoltLogger | undefined = v.logger ? boltLogger(log) : undefined;
  const receiver = new HTTPReceiver({ signingSecret: SIGNING_SECRET, processBeforeResponse: false, ...(logger ? { logger } : { logLevel: LogLevel.ERROR }) });
  const app = new App({
    token: fake.botToken, receiver, clientOptions: { slackApiUrl: fake.apiUrl }, deferInitialization: true,
    ...(v.noConvoStore ? { convoStore: false as const } : {}),
    ...(logger ? { logger } : { logLevel: LogLevel.ERROR }),
  });
  await app.init();
  const metrics = new Metrics();
  if (v.middleware) {
    const inflight = new InFlight();
    app.use(async ({ next }) => {
      await inflight.track(next());
    });
    app.use(async ({ body, next }) => {
      const eventId = (body as { event_id?: unknown }).event_id;
      if (typeof eventId === 'string') throw new Error('no events in this benchmark');
      await next();
    });
  }
  if (v.mergedMiddleware) {
    const inflight = new InFlight();
    app.use(async ({ body, next }) => {
      const eventId = (body as { event_id?: unknown }).event_id;
      if (typeof eventId === 'string') throw new Error('no events in this benchmark');
      await inflight.track(next());
    });
  }
  app.command('/incident', async ({ command, ack }) => {
    if (!v.handler) {
      await ack();
      return;
    }
    const parsed = parseIncidentCommand(command.text);
    if (parsed.ok && parsed.command.kind === 'help') {
      metrics.commands.inc({ command: 'help', outcome: 'ok' });
      await ack({ response_type: 'ephemeral', text: helpText() });
      return;
    }
    await ack();
    metrics.commands.inc({ command: parsed.ok ? parsed.command.kind : 'invalid', outcome: 'ok' });
  });
  if (v.listeners) {
    app.command('/locks', async ({ ack }) => ack({ text: 'no' }));
    app.view('open_incident', async ({ ack }) => ack());
    app.action(/^timeline_page_/, async ({ ack }) => ack());
    app.event('message', async () => undefined);
    app.event('reaction_added', async () => undefined);
    app.event('pin_added', async () => undefined);
  }
  const listener = (req: IncomingMessage, res: ServerResponse) => receiver.requestListener(req, res);
  const server: Server = v.server
    ? createHttpServer({ admin: true, slack: listener, checks: {}, metrics, log })
    : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}
function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const fake = await startFakeSlack();
fake.addUser({ id: 'U0BENCH01', name: 'responder', tz: 'UTC' });
const general = fake.addChannel({ name: 'general', members: ['U0BENCH01'] }).id;
const names = Object.keys(VARIANTS);
const apps = await Promise.all(names.map((name) => start(fake, VARIANTS[name]!)));
const drivers = apps.map((a) => new SlackDriver({ botUrl: a.url, signingSecret: SIGNING_SECRET, fake }));
const text = process.env.BENCH_TEXT ?? 'status identified bad deploy, rolling back';

async function batch(driver: SlackDriver): Promise<number[]> {
  const results = await Promise.all(
    Array.from({ length: CONCURRENCY }, () => driver.slashCommand({ text, userId: 'U0BENCH01', channelId: general })),
  );
  for (const r of results) if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
  return results.map((r) => r.ms);
}

try {
  for (let w = 0; w < 3; w++) for (const d of drivers) await batch(d);
  const perRound: { p50: number; p99: number }[][] = names.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    const samples: number[][] = names.map(() => []);
    for (let b = 0; b < BATCHES; b++) {
      // Rotate the order every batch so no variant always follows the same one.
      for (let k = 0; k < drivers.length; k++) {
        const i = (k + b + round) % drivers.length;
        samples[i]!.push(...(await batch(drivers[i]!)));
      }
    }
    samples.forEach((s, i) => {
      const sorted = s.sort((a, b) => a - b);
      perRound[i]!.push({ p50: percentile(sorted, 50), p99: percentile(sorted, 99) });
    });
  }
  console.log(`"/incident ${text}", ${ROUNDS} rounds × ${BATCHES} batches of ${CONCURRENCY}; median across rounds, ms; ratio = median of per-round ratios to "bare"`);
  console.log(`${''.padEnd(24)} ${'p50'.padStart(7)} ${'p99'.padStart(7)} ${'r p50'.padStart(7)} ${'r p99'.padStart(7)}`);
  names.forEach((name, i) => {
    const r = perRound[i]!;
    const base = perRound[0]!;
    console.log(
      `${name.padEnd(24)} ${median(r.map((x) => x.p50)).toFixed(1).padStart(7)} ${median(r.map((x) => x.p99)).toFixed(1).padStart(7)} ` +
        `${median(r.map((x, j) => x.p50 / base[j]!.p50)).toFixed(2).padStart(7)} ${median(r.map((x, j) => x.p99 / base[j]!.p99)).toFixed(2).padStart(7)}`,
    );
  });
} finally {
  drivers.forEach((d) => d.close());
  await Promise.all(apps.map((a) => a.close()));
  await fake.close();
}

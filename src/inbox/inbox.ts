import type pg from 'pg';
import { withLogFields, type Logger } from '../log.js';
import { Batcher } from './batch.js';
import { InboxRepository, type InboxEntry } from './repository.js';

export type { InboxEntry } from './repository.js';

export interface HandlingContext {
  /** The last try: a handler should now tell the person it failed rather than throw. */
  lastAttempt: boolean;
}

export type InboxHandler = (entry: InboxEntry, ctx: HandlingContext) => Promise<void>;

export interface InboxOptions {
  pool: pg.Pool;
  replicaId: string;
  log: Logger;
  /**
   * Handlers running at once: post-ack work must not starve the acks on the same event loop.
   * They mostly wait on PostgreSQL, so this goes with the pool's size (src/store/database.ts).
   */
  concurrency?: number;
  /**
   * Slack requests being acked right now. While there are any, only WHILE_ACKING handlers run:
   * acks first, on the one event loop and on PostgreSQL; the rest waits for the burst to pass.
   */
  acksWaiting?: () => number;
  /** Where the records an ack waits on are written; `pool` when not given. */
  recordPool?: pg.Pool;
  /**
   * Entries waiting beyond that; past it new requests are turned away before they are acked.
   * 2,500 is about 10 s of work at what bench/load.ts measures on 2 shared cores: a burst of
   * 2,000 commands is taken and answered, not refused.
   */
  maxQueued?: number;
}

const MAX_ATTEMPTS = 5;
const RECOVER_MS = 1_000;
// Handlers running while acks wait: enough to keep answering, few enough not to hold the acks up
// (bench/load.ts: ack p50 68 -> 44 ms, replies 460 -> 477/s).
const WHILE_ACKING = 2;

/**
 * What Slack delivered, recorded before the 200: handled here after the ack, a few at a time in
 * arrival order; whatever a crashed or stopped replica left is taken over by any other.
 */
export class Inbox {
  private readonly handlers = new Map<string, InboxHandler>();
  private readonly repo: InboxRepository;
  private readonly records: Batcher<{ key: string; kind: string; payload: object }, boolean>;
  private readonly done: Batcher<string, void>;
  private readonly queued: InboxEntry[] = [];
  private running = 0;
  private readonly idle = new Set<() => void>();
  private recoverer: NodeJS.Timeout | undefined;
  private readonly concurrency: number;
  private readonly maxQueued: number;

  constructor(private readonly options: InboxOptions) {
    this.repo = new InboxRepository(options.pool);
    const recorder = options.recordPool ? new InboxRepository(options.recordPool) : this.repo;
    this.records = new Batcher((entries) => recorder.record(entries, options.replicaId));
    this.done = new Batcher(async (keys) => {
      await this.repo.markDone(keys);
      return keys.map(() => undefined);
    });
    this.concurrency = options.concurrency ?? 24;
    this.maxQueued = options.maxQueued ?? 2_500;
  }

  register(kind: string, handler: InboxHandler): void {
    this.handlers.set(kind, handler);
  }

  /** Waiting plus running: exported to /metrics. */
  get depth(): number {
    return this.queued.length + this.running;
  }

  hasRoom(): boolean {
    return this.queued.length < this.maxQueued;
  }

  /**
   * Before the ack: true when this delivery is new and now durable; false for a redelivery
   * (Slack retries, another replica took it first), which must not be handled again.
   */
  record(key: string, kind: string, payload: object): Promise<boolean> {
    return this.records.add({ key, kind, payload });
  }

  /** After the ack: handles a recorded entry once its turn comes. */
  handle(key: string, kind: string, payload: object): void {
    this.enqueue({ key, kind, payload, receivedAt: new Date(), attempts: 1 });
  }

  start(): void {
    const recover = async () => {
      const room = Math.max(0, this.concurrency * 2 - this.depth);
      if (room === 0) return;
      for (const entry of await this.repo.claimOrphans(this.options.replicaId, room)) {
        this.options.log.info({ key: entry.key, attempts: entry.attempts }, 'taking over an unfinished Slack request');
        this.enqueue(entry);
      }
    };
    void recover().catch(() => undefined);
    this.recoverer = setInterval(() => {
      recover().catch((error: unknown) => this.options.log.warn({ err: String(error) }, 'inbox recovery failed'));
    }, RECOVER_MS);
    this.recoverer.unref();
  }

  /** Stops taking over work; waits up to `timeoutMs` for what is queued here. */
  async stop(timeoutMs: number): Promise<boolean> {
    clearInterval(this.recoverer);
    if (this.depth === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      new Promise<true>((resolve) => this.idle.add(() => resolve(true))),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    // What is still queued stays leased to this replica, which the others take over once it is gone.
    this.queued.length = 0;
    return drained;
  }

  prune(olderThanMs: number): Promise<number> {
    return this.repo.prune(olderThanMs);
  }

  private enqueue(entry: InboxEntry): void {
    this.queued.push(entry);
    setImmediate(() => this.pump());
  }

  private pump(): void {
    // Re-read on every finish: once the acks are through, the next finish opens up to `concurrency`.
    const limit = (this.options.acksWaiting?.() ?? 0) > 0 ? Math.min(WHILE_ACKING, this.concurrency) : this.concurrency;
    while (this.running < limit && this.queued.length > 0) {
      const entry = this.queued.shift()!;
      this.running += 1;
      void this.run(entry).finally(() => {
        this.running -= 1;
        if (this.depth === 0) for (const resolve of this.idle) resolve();
        this.pump();
      });
    }
  }

  private run(entry: InboxEntry): Promise<void> {
    return withLogFields({ request: entry.key }, () => this.perform(entry));
  }

  private async perform(entry: InboxEntry): Promise<void> {
    const handler = this.handlers.get(entry.kind);
    try {
      if (!handler) throw new Error(`no handler for ${entry.kind}`);
      await handler(entry, { lastAttempt: entry.attempts >= MAX_ATTEMPTS });
      await this.done.add(entry.key);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (entry.attempts >= MAX_ATTEMPTS || !handler) {
        this.options.log.error({ key: entry.key, err: reason }, 'gave up on a Slack request');
        await this.repo.markFailed(entry.key, reason).catch(() => undefined);
        return;
      }
      const delay = 500 * 2 ** (entry.attempts - 1);
      this.options.log.warn({ key: entry.key, err: reason, retryInMs: delay }, 'Slack request not finished; will retry');
      await this.repo.retryLater(entry.key, reason, delay).catch(() => undefined);
    }
  }
}

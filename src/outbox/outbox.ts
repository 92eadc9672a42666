import type pg from 'pg';
import { withLogFields, type Logger } from '../log.js';
import { SlackApiError, slackErrorCode, type SlackGateway } from '../ports/slack.js';
import type { Queryable } from '../store/queryable.js';
import { EFFECT_METADATA_TYPE, effectMetadata, type DeliveryContext, type Effect, type EffectHandler, type NewEffect } from './model.js';
import { OutboxRepository } from './repository.js';

const RECONCILE_MS = 1_000;
const MAX_BACKOFF_MS = 30_000;
const DELIVERY_CONCURRENCY = 8;
const DELIVERIES_WHILE_ACKING = 1;

export interface OutboxMetrics {
  delivered(kind: string): void;
  failed(kind: string): void;
  throttled(lane: string): void;
}

export interface OutboxDeps {
  /** Told when Slack refuses an effect for good, so the incident can say what is missing. */
  onRefused?(effect: Effect, code: string): Promise<void>;
  pool: pg.Pool;
  /** A client that never waits out a 429 itself: the outbox holds only the throttled lane. */
  slack: SlackGateway;
  replicaId: string;
  metrics: OutboxMetrics;
  log: Logger;
  /** Slack requests being acked right now; while there are any, one delivery runs at a time (acks first). */
  acksWaiting?: () => number;
}

function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.max(0, attempts - 1));
}

/**
 * Durable Slack effects: written with the change they belong to, delivered one lane at a time in
 * order, at least once and shown once. A 429 holds its lane only.
 *
 * The replica that committed a change delivers it at once, in process: the lane's lease in
 * PostgreSQL keeps replicas from delivering one lane together, and the reconciler of every
 * replica picks up a lane whose deliverer died, is held by Slack, or was never woken. A queue
 * job per commit would only add round trips to say what the commit already knows.
 */
export class Outbox {
  private readonly handlers = new Map<string, EffectHandler>();
  private readonly repo: OutboxRepository;
  private reconciler: NodeJS.Timeout | undefined;
  private readonly draining = new Map<string, { again: boolean }>();
  /** Lanes woken and waiting for one of the DELIVERY_CONCURRENCY deliveries, in order. */
  private readonly waiting = new Set<string>();
  private readonly running = new Set<Promise<void>>();
  private started = false;

  constructor(private readonly deps: OutboxDeps) {
    this.repo = new OutboxRepository(deps.pool);
  }

  register(kind: string, handler: EffectHandler): void {
    if (this.handlers.has(kind)) throw new Error(`outbox kind ${kind} registered twice`);
    this.handlers.set(kind, handler);
  }

  /** Records effects in the caller's transaction: they exist exactly when the change does. */
  async add(db: Queryable, ...effects: NewEffect[]): Promise<void> {
    await new OutboxRepository(db).add(effects);
  }

  /**
   * After the transaction commits: delivers these lanes now. A crash before this line only
   * delays delivery until a reconciler's next round.
   */
  async wake(lanes: Iterable<string>): Promise<void> {
    if (!this.started) return;
    for (const lane of lanes) {
      const running = this.draining.get(lane);
      // The delivery under way looks again before it lets the lane go.
      if (running) running.again = true;
      else this.waiting.add(lane);
    }
    this.pump();
  }

  private pump(): void {
    const limit = (this.deps.acksWaiting?.() ?? 0) > 0 ? DELIVERIES_WHILE_ACKING : DELIVERY_CONCURRENCY;
    while (this.started && this.running.size < limit && this.waiting.size > 0) {
      const lane = this.waiting.values().next().value as string;
      this.waiting.delete(lane);
      const delivery: Promise<void> = this.deliverLane(lane)
        .catch((error: unknown) => this.deps.log.warn({ err: String(error), lane }, 'outbox delivery failed; the reconciler will retry'))
        .finally(() => {
          this.running.delete(delivery);
          this.pump();
        });
      this.running.add(delivery);
    }
  }

  async start(): Promise<void> {
    this.started = true;
    const reconcile = async () => {
      const lanes = await this.repo.orphanedLanes(this.deps.replicaId);
      if (lanes.length > 0) await this.wake(lanes);
    };
    await reconcile().catch(() => undefined);
    this.reconciler = setInterval(() => {
      reconcile().catch((error: unknown) => this.deps.log.warn({ err: String(error) }, 'outbox reconciler failed'));
    }, RECONCILE_MS);
    this.reconciler.unref();
  }

  /** Takes no more lanes; waits (at most `timeoutMs`) for the deliveries under way. */
  async stop(timeoutMs = 5_000): Promise<void> {
    clearInterval(this.reconciler);
    this.started = false;
    this.waiting.clear();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.allSettled([...this.running]), timedOut]);
    clearTimeout(timer);
  }

  pendingCount(): Promise<number> {
    return this.repo.pendingCount();
  }

  /**
   * Delivers the lane's effects in order until it is empty, throttled, or another replica has it.
   * Within this process one delivery per lane at a time: a second wake-up while it runs only asks
   * the running one to look again (two would both take the same effect and post it twice).
   */
  async deliverLane(lane: string): Promise<void> {
    const running = this.draining.get(lane);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: false };
    this.draining.set(lane, state);
    try {
      do {
        state.again = false;
        await this.deliverClaimed(lane);
      } while (state.again);
    } finally {
      this.draining.delete(lane);
    }
  }

  private async deliverClaimed(lane: string): Promise<void> {
    const me = this.deps.replicaId;
    for (;;) {
      const claim = await this.repo.claimLane(lane, me);
      if (!claim.claimed) return;
      let holdMs: number | null = null;
      let pending = false;
      try {
        holdMs = await this.drain(lane, claim.first);
      } finally {
        if (holdMs === null) pending = await this.repo.releaseLane(lane, me);
        else await this.repo.holdLane(lane, me, holdMs);
      }
      // Held by Slack or an error: the reconciler wakes the lane when its time comes. An effect
      // committed while we were letting go would otherwise wait for the reconciler.
      if (holdMs !== null || !pending) return;
    }
  }

  /** Returns null when the lane is empty, or how long it must wait before the next attempt. */
  private async drain(lane: string, first: Effect | null): Promise<number | null> {
    let effect = first;
    while (effect) {
      const outcome = await this.attempt(lane, effect);
      if (typeof outcome === 'number') return outcome;
      // Marking it done and taking the next is one round trip: the common case, a busy lane.
      effect = outcome === 'delivered' ? await this.repo.markDoneAndTakeNext(effect.id, lane) : await this.repo.nextAttempt(lane);
    }
    return null;
  }

  /** Delivers one effect: delivered, refused for good (recorded), or how long the lane must wait. */
  private async attempt(lane: string, effect: Effect): Promise<'delivered' | 'refused' | number> {
    const handler = this.handlers.get(effect.kind);
    if (!handler) {
      await this.repo.markFailed(effect.id, `no handler for ${effect.kind}`);
      this.deps.log.error({ effect: effect.key, kind: effect.kind }, 'outbox effect of an unknown kind');
      return 'refused';
    }
    try {
      await withLogFields({ incident: effect.incidentId, effect: effect.key }, () => handler(effect, this.context(effect)));
      this.deps.metrics.delivered(effect.kind);
      return 'delivered';
    } catch (error) {
      const code = slackErrorCode(error);
      if (error instanceof SlackApiError && !error.transient) {
        // Slack refused it for good (channel archived, user gone): later effects still go out.
        await this.repo.markFailed(effect.id, code);
        this.deps.metrics.failed(effect.kind);
        await this.deps.onRefused?.(effect, code).catch(() => undefined);
        this.deps.log.warn({ effect: effect.key, incident: effect.incidentId, code }, 'Slack refused an effect; moving on');
        return 'refused';
      }
      await this.repo.noteError(effect.id, code).catch(() => undefined);
      if (error instanceof SlackApiError && error.retryAfterSeconds !== null) {
        this.deps.metrics.throttled(lane);
        this.deps.log.info({ lane, retryAfter: error.retryAfterSeconds }, 'Slack asked this lane to wait');
        return error.retryAfterSeconds * 1000;
      }
      const wait = backoffMs(effect.attempts);
      this.deps.log.warn({ effect: effect.key, incident: effect.incidentId, err: code, retryInMs: wait }, 'effect not delivered; will retry');
      return wait;
    }
  }

  private context(effect: Effect): DeliveryContext {
    const { slack, pool } = this.deps;
    return {
      slack,
      db: pool,
      postOnce: async (channel, message) => {
        if (effect.attempts > 1) {
          const landed = await slack.findPostedByKey(channel, EFFECT_METADATA_TYPE, effect.key);
          if (landed) return { ts: landed.ts, channel };
        }
        return slack.postMessage(channel, message, effectMetadata(effect.key));
      },
      saveProgress: (progress) => this.repo.saveProgress(effect.id, progress),
    };
  }
}

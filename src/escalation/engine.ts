import type pg from 'pg';
import type { Logger } from '../log.js';
import type { JobQueue, JobWorker, Queues } from '../queue/queues.js';
import type { Queryable } from '../store/queryable.js';
import { withTransaction } from '../store/transaction.js';
import { mention } from '../text/mrkdwn.js';
import { TimelineRepository } from '../timeline/repository.js';
import { dueAt, firstStep, nextStep, rotationName, snapshotPolicy, type PolicySnapshot, type Step } from './policy.js';
import { NO_METRICS, pageKey, type EscalationMetrics, type PageEffect, type PageOutbox, type UsergroupMembers } from './ports.js';
import { EscalationRepository, type Escalation, type PageRow } from './repository.js';
import { nextHandoff, onCallAt } from './rotation.js';
import { policyFor, type EscalationSettings } from './settings.js';
import { sendWebhook, type WebhookJob, type WebhookSender } from './webhook.js';

export const STEP_QUEUE = 'escalation';
export const WEBHOOK_QUEUE = 'escalation-webhook';

export interface StepJob {
  incidentId: number;
  generation: number;
  loop: number;
  tier: number;
}

export type AckResult =
  | { status: 'acked'; at: Date }
  | { status: 'already'; by: string; at: Date }
  | { status: 'not-paging' };

export type PageTarget = { kind: 'next' } | { kind: 'user'; userId: string } | { kind: 'tier'; tier: number };

export type PageNowResult =
  | { status: 'paged'; users: string[] }
  | { status: 'queued'; step: Step }
  | { status: 'nothing'; reason: string };

export interface OnCallTarget {
  target: string;
  users: string[];
  /** For a rotation: when it hands off next, and to whom. */
  next: { at: Date; user: string } | null;
}

export interface OnCallTier {
  tier: number;
  afterMs: number;
  targets: OnCallTarget[];
}

export interface EngineDeps {
  pool: pg.Pool;
  queues: Queues;
  outbox: PageOutbox;
  usergroupMembers: UsergroupMembers;
  settings: EscalationSettings;
  log: Logger;
  metrics?: EscalationMetrics;
  now?: () => Date;
  /** How often the reconciler looks for overdue steps; it is what bounds lateness after a crash. */
  reconcileEveryMs?: number;
  /** Sends the policies' outbound webhooks; without it this process takes no webhook jobs. */
  webhook?: WebhookSender;
}

const stepJobId = (j: StepJob): string => `step-${j.incidentId}-${j.generation}-${j.loop}-${j.tier}`;
// A step this long overdue has lost its job (a crash between commit and enqueue) or its job died
// with its worker: only then does the reconciler act, so a storm of steps due at once is not
// doubled by it. With a reconcile every 200 ms a lost step runs about a second late.
const RESCUE_AFTER_MS = 750;
const RECONCILE_BATCH = 100;
// Any constant, the same in every replica.
const RECONCILE_LOCK = 7_134_204;
const JOB_OPTIONS = { removeOnComplete: true, removeOnFail: true, attempts: 5, backoff: { type: 'exponential', delay: 200 } };

/**
 * Pages the tiers of a policy in turn until someone acknowledges. PostgreSQL holds the plan;
 * queue jobs only say "look now": each locks the row, re-reads it and drops itself unless it
 * is the step due in the current generation.
 */
export class EscalationEngine {
  private readonly metrics: EscalationMetrics;
  private readonly now: () => Date;
  private readonly steps: JobQueue<StepJob>;
  private readonly hooks: JobQueue<WebhookJob>;
  private timer: NodeJS.Timeout | null = null;
  private reconciling: Promise<void> | null = null;

  constructor(private readonly deps: EngineDeps) {
    this.metrics = deps.metrics ?? NO_METRICS;
    this.now = deps.now ?? (() => new Date());
    this.steps = deps.queues.queue<StepJob>(STEP_QUEUE);
    this.hooks = deps.queues.queue<WebhookJob>(WEBHOOK_QUEUE);
  }

  /** Starts taking step jobs, and the reconciler (once now, then every `reconcileEveryMs`). */
  async run(concurrency = 8): Promise<JobWorker<StepJob>> {
    const worker = this.deps.queues.worker<StepJob>(STEP_QUEUE, (job) => this.process(job.data), {
      concurrency,
      // A job whose worker died is taken back after about a second, not BullMQ's default 30 s.
      lockDuration: 2000,
      stalledInterval: 1000,
      maxStalledCount: 10,
    });
    const sender = this.deps.webhook;
    if (sender) {
      // A queue of its own: a pager that is down retries with backoff and never holds up a Slack page.
      const hooks = this.deps.queues.worker<WebhookJob>(WEBHOOK_QUEUE, (job) => sendWebhook(job.data, sender), { concurrency: 4 });
      hooks.on('failed', (job, error) => this.deps.log.warn({ err: error.message, jobId: job?.id }, 'page webhook failed'));
    }
    worker.on('failed', (job, error) => this.deps.log.warn({ err: error.message, jobId: job?.id }, 'escalation step failed; it will be retried'));
    await this.reconcile();
    const every = this.deps.reconcileEveryMs ?? 500;
    this.timer = setInterval(() => {
      this.reconcile().catch((error: Error) => this.deps.log.warn({ err: error.message }, 'escalation reconcile failed'));
    }, every);
    this.timer.unref();
    return worker;
  }

  stopReconciler(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Starts paging for an incident. `db` may be the transaction that opens the incident: if the
   * first job runs before that commits it drops itself, and the reconciler picks the step up.
   */
  async start(incidentId: number, severity: number, at: Date, db: Queryable = this.deps.pool): Promise<{ policy: string | null; started: boolean }> {
    const name = policyFor(this.deps.settings, severity);
    const snapshot: PolicySnapshot = name
      ? snapshotPolicy(this.deps.settings, name)
      : { name: 'none', repeat: 0, tiers: [], webhook: null, rotations: {} };
    const step = firstStep(snapshot);
    const next = step ? { ...step, dueAt: dueAt(snapshot, at, step) } : null;
    const created = await new EscalationRepository(db).create({
      incidentId,
      policy: snapshot.name,
      snapshot,
      startedAt: at,
      state: next ? 'active' : 'done',
      next,
    });
    if (created && next) await this.enqueue({ incidentId, generation: 0, ...next }, next.dueAt);
    return { policy: name, started: created };
  }

  async ack(incidentId: number, userId: string, at: Date, via: 'command' | 'button'): Promise<AckResult> {
    const result = await withTransaction(this.deps.pool, async (tx): Promise<AckResult> => {
      const repo = new EscalationRepository(tx);
      const e = await repo.get(incidentId, true);
      if (!e) return { status: 'not-paging' };
      if (e.state === 'acked' && e.ackedBy && e.ackedAt) return { status: 'already', by: e.ackedBy, at: e.ackedAt };
      await repo.ack(incidentId, userId, at);
      await new TimelineRepository(tx).add({
        incidentId,
        occurredAt: at,
        kind: 'ack',
        authorId: userId,
        text: `${mention(userId)} acknowledged`,
        data: { via, generation: e.generation, sinceStartMs: at.getTime() - e.startedAt.getTime() },
      });
      const pages = await repo.pages(incidentId);
      await this.deps.outbox.add(tx, pages.map((p) => effect('page_update', p)));
      return { status: 'acked', at };
    });
    if (result.status === 'acked') {
      this.metrics.acked();
      await this.deps.outbox.wake();
    }
    return result;
  }

  /**
   * Moves an unacknowledged escalation (still paging, or done paging with nobody answering) to
   * the policy of a new severity, from the first tier as of `at`. Unchanged when the policy is the
   * same, or after an ack or a close.
   */
  async changeSeverity(incidentId: number, severity: number, at: Date): Promise<boolean> {
    const name = policyFor(this.deps.settings, severity);
    const planned = await withTransaction(this.deps.pool, async (tx) => {
      const repo = new EscalationRepository(tx);
      const e = await repo.get(incidentId, true);
      if (!e || (e.state !== 'active' && e.state !== 'done') || name === null || name === e.policy) return null;
      const snapshot = snapshotPolicy(this.deps.settings, name);
      const step = firstStep(snapshot);
      const next = step ? { ...step, dueAt: dueAt(snapshot, at, step) } : null;
      const generation = await repo.replan(incidentId, snapshot, at, next);
      return { generation, next };
    });
    if (!planned) return false;
    if (planned.next) {
      await this.enqueue({ incidentId, generation: planned.generation, loop: planned.next.loop, tier: planned.next.tier }, planned.next.dueAt);
    }
    return true;
  }

  /** Stops paging (the incident closed, or the plan changed); false when it was not paging. */
  async stop(incidentId: number, reason: string, db: Queryable = this.deps.pool): Promise<boolean> {
    const stopped = await new EscalationRepository(db).stop(incidentId, reason);
    if (stopped) this.deps.log.info({ incidentId, reason }, 'escalation stopped');
    return stopped;
  }

  /** Pages now: the next step of the plan, one person, or every person of tier `tier` (1-based). */
  async pageNow(incidentId: number, target: PageTarget, by: string | null = null): Promise<PageNowResult> {
    const at = this.now();
    if (target.kind === 'next') {
      const job = await withTransaction(this.deps.pool, async (tx): Promise<StepJob | null> => {
        const repo = new EscalationRepository(tx);
        const e = await repo.get(incidentId, true);
        if (!e || e.state !== 'active' || !e.next) return null;
        // A new generation: the job waiting for the old due time drops itself.
        const generation = await repo.advance(incidentId, { ...e.next, dueAt: at }, 'active', true);
        return { incidentId, generation, loop: e.next.loop, tier: e.next.tier };
      });
      if (!job) return { status: 'nothing', reason: 'no tier is left to page' };
      await this.enqueue(job, at);
      return { status: 'queued', step: { loop: job.loop, tier: job.tier } };
    }
    const e = await new EscalationRepository(this.deps.pool).get(incidentId);
    if (!e) return { status: 'nothing', reason: 'this incident has no escalation' };
    let users: string[];
    if (target.kind === 'user') users = [target.userId];
    else {
      const tier = e.snapshot.tiers[target.tier - 1];
      if (!tier) return { status: 'nothing', reason: `policy ${e.policy} has ${e.snapshot.tiers.length} tiers, not ${target.tier}` };
      users = await this.expand(e.snapshot, tier.notify, at);
    }
    const paged = await withTransaction(this.deps.pool, async (tx) => {
      const repo = new EscalationRepository(tx);
      const locked = await repo.get(incidentId, true);
      if (!locked) return [];
      const n = await repo.nextManualPage(incidentId);
      const step = { loop: -n, tier: target.kind === 'tier' ? target.tier - 1 : -1 };
      return this.recordPages(tx, locked, step, users, at, at, by);
    });
    await this.afterPages(e, paged);
    return { status: 'paged', users: paged.map((p) => p.userId) };
  }

  /** Who each tier of `policy` would page at `at`, and for rotations who is next. */
  async oncall(policy: string | PolicySnapshot, at: Date): Promise<OnCallTier[]> {
    const snapshot = typeof policy === 'string' ? snapshotPolicy(this.deps.settings, policy) : policy;
    const tiers: OnCallTier[] = [];
    for (const [i, tier] of snapshot.tiers.entries()) {
      const targets: OnCallTarget[] = [];
      for (const target of tier.notify) {
        const rotation = rotationName(target);
        const r = rotation === null ? undefined : snapshot.rotations[rotation];
        if (r) {
          const handoff = nextHandoff(r, at);
          targets.push({ target, users: [onCallAt(r, at).user], next: { at: handoff.at, user: handoff.next.user } });
        } else {
          targets.push({ target, users: target.startsWith('S') ? await this.deps.usergroupMembers(target) : [target], next: null });
        }
      }
      tiers.push({ tier: i + 1, afterMs: tier.afterMs, targets });
    }
    return tiers;
  }

  /** Re-enqueues every active escalation whose step is overdue and has no live job. */
  reconcile(): Promise<void> {
    // One pass at a time per process: a slow pass must not pile up behind the timer.
    this.reconciling ??= this.reconcileOnce().finally(() => {
      this.reconciling = null;
    });
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    const now = this.now();
    const client = await this.deps.pool.connect();
    try {
      // One process reconciles at a time: under a backlog every replica checking every late step
      // would spend on queue look-ups the time the workers need to catch up.
      const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [RECONCILE_LOCK]);
      if (!rows[0]?.ok) return;
      try {
        const overdue = await new EscalationRepository(client).overdue(new Date(now.getTime() - RESCUE_AFTER_MS), RECONCILE_BATCH);
        this.metrics.overdue(overdue.length);
        await this.rescue(overdue, now);
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [RECONCILE_LOCK]);
      }
    } finally {
      client.release();
    }
  }

  private async rescue(overdue: Escalation[], now: Date): Promise<void> {
    for (const e of overdue) {
      if (!e.next) continue;
      const data: StepJob = { incidentId: e.incidentId, generation: e.generation, loop: e.next.loop, tier: e.next.tier };
      const id = stepJobId(data);
      const job = await this.steps.getJob(id);
      const state = job ? await job.getState() : 'missing';
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized' || state === 'waiting-children') continue;
      if (state === 'active') {
        // Its worker may be dead; a second job is harmless because the step runs under the row lock.
        this.deps.log.info({ incidentId: e.incidentId, jobId: id }, 'escalation step overdue while active: running it again');
        await this.steps.add('step', data, { ...JOB_OPTIONS, jobId: `${id}-r${now.getTime()}` });
        continue;
      }
      if (job) await job.remove().catch(() => undefined);
      this.deps.log.info({ incidentId: e.incidentId, jobId: id, state }, 'escalation step overdue with no job: re-enqueued');
      await this.steps.add('step', data, { ...JOB_OPTIONS, jobId: id });
    }
  }

  private async enqueue(data: StepJob, due: Date): Promise<void> {
    const delay = Math.max(0, due.getTime() - this.now().getTime());
    await this.steps.add('step', data, { ...JOB_OPTIONS, jobId: stepJobId(data), delay });
  }

  /** One step: lock, re-read, drop if stale, page, advance, enqueue the next. */
  async process(job: StepJob): Promise<void> {
    const log = this.deps.log.child({ incidentId: job.incidentId, generation: job.generation, loop: job.loop, tier: job.tier });
    const peek = await new EscalationRepository(this.deps.pool).get(job.incidentId);
    const why = staleReason(peek, job);
    if (why || !peek) {
      log.debug({ why }, 'escalation job dropped');
      return;
    }
    // Expanded before the lock: usergroups.users.list is a Slack call, not something to hold a row lock over.
    const tier = peek.snapshot.tiers[job.tier];
    // The row's due time, not the schedule's: `/incident page` may have brought the step forward.
    const due = peek.next?.dueAt ?? dueAt(peek.snapshot, peek.startedAt, job);
    const users = tier ? await this.expand(peek.snapshot, tier.notify, due) : [];
    const outcome = await withTransaction(this.deps.pool, async (tx) => {
      const repo = new EscalationRepository(tx);
      const e = await repo.get(job.incidentId, true);
      const stale = staleReason(e, job);
      if (stale || !e) return { dropped: stale ?? 'gone' };
      const at = this.now();
      const pages = await this.recordPages(tx, e, job, users, due, at, null);
      const step = nextStep(e.snapshot, job);
      const next = step ? { ...step, dueAt: dueAt(e.snapshot, e.startedAt, step) } : null;
      await repo.advance(e.incidentId, next, next ? 'active' : 'done');
      return { e, pages, next };
    });
    if ('dropped' in outcome) {
      log.info({ why: outcome.dropped }, 'escalation job dropped');
      return;
    }
    await this.afterPages(outcome.e, outcome.pages);
    if (outcome.next) await this.enqueue({ incidentId: job.incidentId, generation: job.generation, ...outcome.next }, outcome.next.dueAt);
  }

  private async recordPages(tx: Queryable, e: Escalation, step: Step, users: string[], due: Date, at: Date, by: string | null): Promise<PageRow[]> {
    const lateness = Math.max(0, at.getTime() - due.getTime());
    const pages = await new EscalationRepository(tx).addPages(
      users.map((userId) => ({ incidentId: e.incidentId, generation: e.generation, loop: step.loop, tier: step.tier, userId, dueAt: due, latenessMs: lateness })),
    );
    const manual = step.loop < 0;
    const where = step.tier < 0 ? 'by hand' : `tier ${step.tier + 1}${step.loop > 0 ? `, repeat ${step.loop}` : ''}${manual ? ', by hand' : ''}`;
    const text = users.length === 0 ? `Nobody to page (${where}): the tier resolved to no one` : `Paged ${users.map(mention).join(', ')} (${where})`;
    if (pages.length > 0 || users.length === 0) {
      await new TimelineRepository(tx).add({
        incidentId: e.incidentId,
        occurredAt: at,
        kind: 'page',
        authorId: by,
        text,
        data: { generation: e.generation, loop: step.loop, tier: step.tier, users, dueAt: due.toISOString(), latenessMs: lateness },
      });
    }
    await this.deps.outbox.add(tx, pages.map((p) => effect('page', p)));
    return pages;
  }

  private async afterPages(e: Escalation, pages: PageRow[]): Promise<void> {
    if (pages.length === 0) return;
    this.metrics.pagesSent(pages.length);
    for (const p of pages) this.metrics.pageLateness(p.latenessMs / 1000);
    await this.deps.outbox.wake();
    const first = pages[0] as PageRow;
    if (e.snapshot.webhook) {
      const data: WebhookJob = { incidentId: e.incidentId, policy: e.policy, loop: first.loop, tier: first.tier, users: pages.map((p) => p.userId), webhook: e.snapshot.webhook };
      await this.hooks
        .add('webhook', data, { jobId: `hook-${e.incidentId}-${first.generation}-${first.loop}-${first.tier}`, attempts: 8, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: 100 })
        .catch((error: Error) => this.deps.log.warn({ err: error.message, incidentId: e.incidentId }, 'could not queue the page webhook'));
    }
  }

  /** The people `notify` names at `at`: users as given, usergroups' members, whoever a rotation has on call. */
  private async expand(snapshot: PolicySnapshot, notify: string[], at: Date): Promise<string[]> {
    const people: string[] = [];
    for (const target of notify) {
      const rotation = rotationName(target);
      if (rotation !== null) {
        const r = snapshot.rotations[rotation];
        if (r) people.push(onCallAt(r, at).user);
      } else if (target.startsWith('S')) {
        people.push(...(await this.deps.usergroupMembers(target)));
      } else {
        people.push(target);
      }
    }
    return [...new Set(people)];
  }
}

function staleReason(e: Escalation | null, job: StepJob): string | null {
  if (!e) return 'the incident has no escalation';
  if (e.generation !== job.generation) return `generation moved to ${e.generation}`;
  if (e.state !== 'active') return `the escalation is ${e.state}`;
  if (!e.next || e.next.loop !== job.loop || e.next.tier !== job.tier) return 'the step is not the next one due';
  return null;
}

function effect(kind: PageEffect['kind'], p: PageRow): PageEffect {
  const key = pageKey(p);
  return { kind, incidentId: p.incidentId, pageId: p.id, userId: p.userId, key: kind === 'page' ? key : `${key}:ack` };
}

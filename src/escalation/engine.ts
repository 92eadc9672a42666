import type { Logger } from '../log.js';
import type { JobQueue, JobWorker, Queues } from '../queue/queues.js';
import type { Queryable } from '../store/queryable.js';
import { mention } from '../text/mrkdwn.js';
import { dueAt, firstStep, nextStep, rotationName, snapshotPolicy, type PolicySnapshot, type Step } from './policy.js';
import { NO_METRICS, pageKey, type EscalationMetrics, type PageEffect, type PageOutbox, type UsergroupMembers } from './ports.js';
import type { EscalationRecords, EscalationStore } from './records.js';
import type { Escalation, PageRow } from './repository.js';
import { nextHandoff, onCallAt } from './rotation.js';
import { policyFor, type EscalationSettings } from './settings.js';
import { sendWebhook, type WebhookJob, type WebhookSender } from './webhook.js';

export const STEP_QUEUE = 'escalation';
export const WEBHOOK_QUEUE = 'escalation-webhook';

/**
 * "Sweep the steps due by `dueAt`" (ms since the epoch). One job per due instant, however many
 * escalations fall due then; jobs queued by earlier versions named a step instead, and sweep now.
 */
export interface WakeJob {
  dueAt?: number;
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
  store: EscalationStore;
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

// A step this long overdue has lost its wake-up (a crash between commit and enqueue, a queue
// that is down) or its sweep died with its worker: only then does the reconciler sweep, so the
// wake-up stays what times a page. With a reconcile every 200 ms a lost step runs about a second late.
const RESCUE_AFTER_MS = 750;
// What the overdue gauge counts up to.
const OVERDUE_SAMPLE = 100;
// Steps claimed and recorded per transaction.
const SWEEP_BATCH = 200;
const JOB_OPTIONS = { removeOnComplete: true, removeOnFail: true, attempts: 5, backoff: { type: 'exponential', delay: 200 } };

type Due = Step & { dueAt: Date };

/** A step to record: whom it pages, and when it was due. */
interface Planned {
  e: Escalation;
  step: Step;
  users: string[];
  due: Date;
}

interface Recorded extends Planned {
  pages: PageRow[];
  next: Due | null;
}

/**
 * Pages the tiers of a policy in turn until someone acknowledges. PostgreSQL holds the plan;
 * queue jobs only say "look now": a sweep claims every step due (rows locked, skipping those
 * another sweep, an ack or a close holds), records their pages and moves each plan on in the
 * same transaction, so a step is paged once whoever sweeps and however often.
 */
export class EscalationEngine {
  private readonly metrics: EscalationMetrics;
  private readonly now: () => Date;
  private readonly steps: JobQueue<WakeJob>;
  private readonly hooks: JobQueue<WebhookJob>;
  private timer: NodeJS.Timeout | null = null;
  private reconciling: Promise<void> | null = null;

  constructor(private readonly deps: EngineDeps) {
    this.metrics = deps.metrics ?? NO_METRICS;
    this.now = deps.now ?? (() => new Date());
    this.steps = deps.queues.queue<WakeJob>(STEP_QUEUE);
    this.hooks = deps.queues.queue<WebhookJob>(WEBHOOK_QUEUE);
  }

  /** Starts taking step jobs, and the reconciler (once now, then every `reconcileEveryMs`). */
  async run(concurrency = 8): Promise<JobWorker<WakeJob>> {
    const worker = this.deps.queues.worker<WakeJob>(STEP_QUEUE, (job) => this.sweep(job.data.dueAt === undefined ? null : new Date(job.data.dueAt)), {
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
      hooks.on('failed', (job, error) => this.deps.log.warn({ err: error.message, jobId: job?.id, incident: job?.data.incidentId }, 'page webhook failed'));
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
  async start(incidentId: number, severity: number, at: Date, db?: Queryable): Promise<{ policy: string | null; started: boolean }> {
    const name = policyFor(this.deps.settings, severity);
    const snapshot: PolicySnapshot = name
      ? snapshotPolicy(this.deps.settings, name)
      : { name: 'none', repeat: 0, tiers: [], webhook: null, rotations: {} };
    const step = firstStep(snapshot);
    const next = step ? { ...step, dueAt: dueAt(snapshot, at, step) } : null;
    const created = await this.on(db).escalations.create({
      incidentId,
      policy: snapshot.name,
      snapshot,
      startedAt: at,
      state: next ? 'active' : 'done',
      next,
    });
    if (created && next) await this.wake(next.dueAt);
    return { policy: name, started: created };
  }

  /**
   * After the transaction that started paging commits: its first wake-up again, since the one
   * queued inside the transaction may have run before the step was visible.
   */
  async started(incidentId: number): Promise<void> {
    const e = await this.deps.store.escalations.get(incidentId);
    if (e?.state === 'active' && e.next) await this.wake(e.next.dueAt);
  }

  async ack(incidentId: number, userId: string, at: Date, via: 'command' | 'button'): Promise<AckResult> {
    const result = await this.deps.store.transaction(async (tx): Promise<AckResult> => {
      const repo = tx.escalations;
      const e = await repo.get(incidentId, true);
      if (!e) return { status: 'not-paging' };
      if (e.state === 'acked' && e.ackedBy && e.ackedAt) return { status: 'already', by: e.ackedBy, at: e.ackedAt };
      await repo.ack(incidentId, userId, at);
      await tx.events.add({
        incidentId,
        occurredAt: at,
        kind: 'ack',
        authorId: userId,
        text: `${mention(userId)} acknowledged`,
        data: { via, generation: e.generation, sinceStartMs: at.getTime() - e.startedAt.getTime() },
      });
      const pages = await repo.pages(incidentId);
      await this.deps.outbox.add(tx.db, pages.map((p) => effect('page_update', p)));
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
    const planned = await this.deps.store.transaction(async (tx) => {
      const repo = tx.escalations;
      const e = await repo.get(incidentId, true);
      if (!e || (e.state !== 'active' && e.state !== 'done') || name === null || name === e.policy) return null;
      const snapshot = snapshotPolicy(this.deps.settings, name);
      const step = firstStep(snapshot);
      const next = step ? { ...step, dueAt: dueAt(snapshot, at, step) } : null;
      const generation = await repo.replan(incidentId, snapshot, at, next);
      return { generation, next };
    });
    if (!planned) return false;
    if (planned.next) await this.wake(planned.next.dueAt);
    return true;
  }

  /** Stops paging (the incident closed, or the plan changed); false when it was not paging. */
  async stop(incidentId: number, reason: string, db?: Queryable): Promise<boolean> {
    const stopped = await this.on(db).escalations.stop(incidentId, reason);
    if (stopped) this.deps.log.info({ incident: incidentId, reason }, 'escalation stopped');
    return stopped;
  }

  /** Pages now: the next step of the plan, one person, or every person of tier `tier` (1-based). */
  async pageNow(incidentId: number, target: PageTarget, by: string | null = null): Promise<PageNowResult> {
    const at = this.now();
    if (target.kind === 'next') {
      const step = await this.deps.store.transaction(async (tx): Promise<Step | null> => {
        const repo = tx.escalations;
        const e = await repo.get(incidentId, true);
        if (!e || e.state !== 'active' || !e.next) return null;
        // A new generation: a sweep that read the old plan before its lookup records nothing for it.
        await repo.advance(incidentId, { ...e.next, dueAt: at }, 'active', true);
        return { loop: e.next.loop, tier: e.next.tier };
      });
      if (!step) return { status: 'nothing', reason: 'no tier is left to page' };
      await this.wake(at);
      return { status: 'queued', step };
    }
    const e = await this.deps.store.escalations.get(incidentId);
    if (!e) return { status: 'nothing', reason: 'this incident has no escalation' };
    let users: string[];
    if (target.kind === 'user') users = [target.userId];
    else {
      const tier = e.snapshot.tiers[target.tier - 1];
      if (!tier) return { status: 'nothing', reason: `policy ${e.policy} has ${e.snapshot.tiers.length} tiers, not ${target.tier}` };
      users = await this.expand(e.snapshot, tier.notify, at);
    }
    const paged = await this.deps.store.transaction(async (tx) => {
      const repo = tx.escalations;
      const locked = await repo.get(incidentId, true);
      if (!locked) return [];
      const n = await repo.nextManualPage(incidentId);
      const step = { loop: -n, tier: target.kind === 'tier' ? target.tier - 1 : -1 };
      const [pages = []] = await this.recordPages(tx, [{ e: locked, step, users, due: at }], at, by);
      return [{ e: locked, step, users, due: at, pages, next: null }];
    });
    await this.afterSteps(paged);
    return { status: 'paged', users: paged.flatMap((r) => r.pages.map((p) => p.userId)) };
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

  /** Sweeps here when a step is overdue: its wake-up was lost, or its sweep died with its worker. */
  reconcile(): Promise<void> {
    // One pass at a time per process: a slow pass must not pile up behind the timer.
    this.reconciling ??= this.reconcileOnce().finally(() => {
      this.reconciling = null;
    });
    return this.reconciling;
  }

  private async reconcileOnce(): Promise<void> {
    const overdue = await this.deps.store.escalations.countOverdue(new Date(this.now().getTime() - RESCUE_AFTER_MS), OVERDUE_SAMPLE);
    this.metrics.overdue(overdue);
    if (overdue === 0) return;
    this.deps.log.info({ overdue }, 'escalation steps overdue: sweeping them');
    // Not waiting for the wake-ups and outbox calls after each commit: with the queue down they
    // would hold every later reconcile, and PostgreSQL alone is enough to page.
    await this.sweep(null, false);
  }

  /**
   * Records every step due by `until` (or now), a batch per transaction, until none is left.
   * Steps whose tier names a usergroup are recorded after its members are looked up, outside
   * any transaction. With `settle`, resolves once the wake-ups and outbox calls after the
   * commits are done as well.
   */
  async sweep(until: Date | null = null, settle = true): Promise<void> {
    // Escalations whose usergroup lookup failed in this sweep: the next sweep tries them again.
    const skip = new Set<number>();
    const notices: Promise<void>[] = [];
    // One usergroups.users.list per group per sweep, however many escalations name it.
    const groups = new Map<string, Promise<string[]>>();
    const members = (id: string): Promise<string[]> => {
      let found = groups.get(id);
      if (!found) groups.set(id, (found = this.deps.usergroupMembers(id)));
      return found;
    };
    for (;;) {
      const started = Date.now();
      const batch = await this.deps.store.transaction(async (tx) => {
        const claimed = await tx.escalations.claimDue(until, SWEEP_BATCH, [...skip]);
        const ready: Planned[] = [];
        const lookup: Escalation[] = [];
        for (const e of claimed) {
          const planned = this.plan(e);
          if (planned === 'lookup') lookup.push(e);
          else if (planned) ready.push(planned);
          else skip.add(e.incidentId);
        }
        return { claimed: claimed.length, lookup, recorded: await this.recordSteps(tx, ready) };
      });
      this.deps.log.debug(
        { claimed: batch.claimed, recorded: batch.recorded.length, lookup: batch.lookup.length, ms: Date.now() - started, sinceDueMs: until && started - until.getTime() },
        'escalation sweep batch',
      );
      notices.push(this.afterSteps(batch.recorded));
      if (batch.lookup.length > 0) notices.push(this.afterSteps(await this.recordLookedUp(batch.lookup, members, skip)));
      if (batch.claimed < SWEEP_BATCH) break;
    }
    if (settle) await Promise.all(notices);
  }

  /** The step `e` is due for, with whom it pages; 'lookup' when a usergroup must be asked first. */
  private plan(e: Escalation): Planned | 'lookup' | null {
    if (!e.next) return null;
    const step = { loop: e.next.loop, tier: e.next.tier };
    const tier = e.snapshot.tiers[step.tier];
    if (tier && tier.notify.some(isUsergroup)) return 'lookup';
    // The row's due time, not the schedule's: `/incident page` may have brought the step forward.
    const due = e.next.dueAt;
    return { e, step, users: tier ? resolveLocal(e.snapshot, tier.notify, due) : [], due };
  }

  /**
   * Steps whose tier names a usergroup: members looked up with no row locked, then recorded
   * only if the plan has not moved meanwhile (an ack, a close, another sweep).
   */
  private async recordLookedUp(claimed: Escalation[], members: UsergroupMembers, skip: Set<number>): Promise<Recorded[]> {
    const looked = await Promise.all(
      claimed.map(async (e): Promise<Planned | null> => {
        const next = e.next as Due;
        const tier = e.snapshot.tiers[next.tier];
        try {
          return { e, step: { loop: next.loop, tier: next.tier }, users: tier ? await this.expand(e.snapshot, tier.notify, next.dueAt, members) : [], due: next.dueAt };
        } catch (error) {
          skip.add(e.incidentId);
          this.deps.log.warn({ err: String(error), incident: e.incidentId }, 'usergroup lookup failed; the step is tried again at the next sweep');
          return null;
        }
      }),
    );
    const planned = looked.filter((p): p is Planned => p !== null);
    if (planned.length === 0) return [];
    return this.deps.store.transaction(async (tx) => {
      const locked = new Map((await tx.escalations.lockFree(planned.map((p) => p.e.incidentId))).map((e) => [e.incidentId, e]));
      const current: Planned[] = [];
      for (const p of planned) {
        const e = locked.get(p.e.incidentId);
        if (e && !staleReason(e, { generation: p.e.generation, ...p.step }) && e.next?.dueAt.getTime() === p.due.getTime()) current.push({ ...p, e });
      }
      return this.recordSteps(tx, current);
    });
  }

  /** Records the steps' pages and moves each plan to its next step; the rows are locked by the caller. */
  private async recordSteps(tx: EscalationRecords, planned: Planned[]): Promise<Recorded[]> {
    if (planned.length === 0) return [];
    const pages = await this.recordPages(tx, planned, this.now(), null);
    const recorded = planned.map((p, i): Recorded => {
      const step = nextStep(p.e.snapshot, p.step);
      return { ...p, pages: pages[i] ?? [], next: step ? { ...step, dueAt: dueAt(p.e.snapshot, p.e.startedAt, step) } : null };
    });
    await tx.escalations.advanceAll(recorded.map((r) => ({ incidentId: r.e.incidentId, next: r.next })));
    return recorded;
  }

  /** The rows of `db` when the caller's transaction is given, else the store's own. */
  private on(db: Queryable | undefined): EscalationRecords {
    return db === undefined ? this.deps.store : this.deps.store.joining(db);
  }

  /** The wake-up for `due`: one job per instant in the future; one of its own when due already. */
  private async wake(due: Date): Promise<void> {
    const delay = due.getTime() - this.now().getTime();
    // A job already running for this instant may have claimed before this step committed, and
    // adding under its id would be ignored: a step due now gets a job of its own.
    const id = delay > 0 ? { jobId: `wake-${due.getTime()}`, delay } : {};
    await this.steps.add('wake', { dueAt: due.getTime() }, { ...JOB_OPTIONS, ...id });
  }

  /**
   * Records pages (a batch of steps at once) with their timeline entries and outbox effects;
   * returns each step's pages that are new to the table (a step recorded again pages nobody twice).
   */
  private async recordPages(tx: EscalationRecords, planned: Planned[], at: Date, by: string | null): Promise<PageRow[][]> {
    const lateness = (p: Planned): number => Math.max(0, at.getTime() - p.due.getTime());
    const rows = await tx.escalations.addPages(
      planned.flatMap((p) =>
        p.users.map((userId) => ({ incidentId: p.e.incidentId, generation: p.e.generation, loop: p.step.loop, tier: p.step.tier, userId, dueAt: p.due, latenessMs: lateness(p) })),
      ),
    );
    const stepKey = (r: { incidentId: number; generation: number; loop: number; tier: number }): string => `${r.incidentId}:${r.generation}:${r.loop}:${r.tier}`;
    const byStep = new Map<string, PageRow[]>();
    for (const row of rows) byStep.set(stepKey(row), [...(byStep.get(stepKey(row)) ?? []), row]);
    const pages = planned.map((p) => byStep.get(stepKey({ incidentId: p.e.incidentId, generation: p.e.generation, ...p.step })) ?? []);
    const events = planned.flatMap((p, i) => {
      if ((pages[i] ?? []).length === 0 && p.users.length > 0) return [];
      const { loop, tier } = p.step;
      const where = tier < 0 ? 'by hand' : `tier ${tier + 1}${loop > 0 ? `, repeat ${loop}` : ''}${loop < 0 ? ', by hand' : ''}`;
      const text = p.users.length === 0 ? `Nobody to page (${where}): the tier resolved to no one` : `Paged ${p.users.map(mention).join(', ')} (${where})`;
      const data = { generation: p.e.generation, loop, tier, users: p.users, dueAt: p.due.toISOString(), latenessMs: lateness(p) };
      return [{ incidentId: p.e.incidentId, occurredAt: at, kind: 'page' as const, authorId: by, text, data }];
    });
    await tx.events.addAll(events);
    await this.deps.outbox.add(tx.db, rows.map((p) => effect('page', p)));
    return pages;
  }

  /** After the commit: metrics, the outbox, the webhooks and the next wake-ups. Never rejects: the reconciler covers a lost wake-up. */
  private async afterSteps(recorded: Recorded[]): Promise<void> {
    if (recorded.length === 0) return;
    const pages = recorded.flatMap((r) => r.pages);
    this.metrics.pagesSent(pages.length);
    for (const p of pages) this.metrics.pageLateness(p.latenessMs / 1000);
    const hooks = recorded.flatMap((r) => {
      const first = r.pages[0];
      const webhook = r.e.snapshot.webhook;
      if (!first || !webhook) return [];
      const data: WebhookJob = { incidentId: r.e.incidentId, policy: r.e.policy, loop: first.loop, tier: first.tier, users: r.pages.map((p) => p.userId), webhook };
      const opts = { jobId: `hook-${r.e.incidentId}-${first.generation}-${first.loop}-${first.tier}`, attempts: 8, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: true, removeOnFail: 100 };
      return [{ name: 'webhook', data, opts }];
    });
    const wakes = new Map<number, Date>();
    for (const r of recorded) if (r.next) wakes.set(r.next.dueAt.getTime(), r.next.dueAt);
    const warn = (what: string) => (error: unknown) => this.deps.log.warn({ err: String(error) }, what);
    await Promise.all([
      pages.length > 0 ? this.deps.outbox.wake().catch(warn('could not wake the page outbox')) : undefined,
      hooks.length > 0 ? this.hooks.addBulk(hooks).catch(warn('could not queue the page webhooks')) : undefined,
      ...[...wakes.values()].map((due) => this.wake(due).catch(warn('could not queue an escalation wake-up; the reconciler will sweep'))),
    ]);
  }

  /** The people `notify` names at `at`: users as given, usergroups' members, whoever a rotation has on call. */
  private async expand(snapshot: PolicySnapshot, notify: string[], at: Date, members: UsergroupMembers = this.deps.usergroupMembers): Promise<string[]> {
    const people: string[] = [];
    for (const target of notify) {
      if (isUsergroup(target)) people.push(...(await members(target)));
      else people.push(...resolveLocal(snapshot, [target], at));
    }
    return [...new Set(people)];
  }
}

const isUsergroup = (target: string): boolean => rotationName(target) === null && target.startsWith('S');

/** `expand` for targets that need no Slack call: users as given, whoever a rotation has on call at `at`. */
function resolveLocal(snapshot: PolicySnapshot, notify: string[], at: Date): string[] {
  const people: string[] = [];
  for (const target of notify) {
    const rotation = rotationName(target);
    if (rotation === null) people.push(target);
    else {
      const r = snapshot.rotations[rotation];
      if (r) people.push(onCallAt(r, at).user);
    }
  }
  return [...new Set(people)];
}

function staleReason(e: Escalation | null, job: Step & { generation: number }): string | null {
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

import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one bot process; a registry of its own so tests can run several apps. */
export class Metrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'firebreak_http_requests_total',
    help: 'HTTP requests received, by route and status code',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly ackSeconds = new Histogram({
    name: 'firebreak_slack_ack_seconds',
    help: 'Time from a Slack request arriving to its HTTP answer (Slack gives up after 3 s)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3],
    registers: [this.registry],
  });
  readonly commands = new Counter({
    name: 'firebreak_commands_total',
    help: 'Slash commands handled, by subcommand and outcome',
    labelNames: ['command', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly pagesSent = new Counter({
    name: 'firebreak_pages_sent_total',
    help: 'People paged (one per person per escalation step)',
    registers: [this.registry],
  });
  readonly acks = new Counter({
    name: 'firebreak_acks_total',
    help: 'Escalations acknowledged',
    registers: [this.registry],
  });
  readonly pageLatenessSeconds = new Histogram({
    name: 'firebreak_page_lateness_seconds',
    help: 'How long after its due time a page was recorded for delivery',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [this.registry],
  });
  readonly overdueEscalations = new Gauge({
    name: 'firebreak_overdue_escalations',
    help: 'Active escalations whose next step is more than a second overdue, at the last reconcile',
    registers: [this.registry],
  });

  private inboxDepthSource: () => number = () => 0;
  readonly inboxDepth: Gauge = new Gauge({
    name: 'firebreak_inbox_depth',
    help: 'Recorded Slack requests waiting or running in this process',
    registers: [this.registry],
    collect: (): void => this.inboxDepth.set(this.inboxDepthSource()),
  });
  readonly effects = new Counter({
    name: 'firebreak_outbox_effects_total',
    help: 'Slack effects delivered from the outbox, by kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly throttledLanes = new Counter({
    name: 'firebreak_outbox_throttled_total',
    help: 'Times Slack asked an outbox lane (a channel) to wait (429 Retry-After)',
    registers: [this.registry],
  });

  /** Where the inbox depth is read when Prometheus scrapes. */
  watchInboxDepth(source: () => number): void {
    this.inboxDepthSource = source;
  }

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'firebreak_' });
  }
}

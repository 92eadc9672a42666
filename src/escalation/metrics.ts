import type { EscalationMetrics } from './ports.js';

interface Inc {
  inc(value?: number): void;
}

/** Adapts prom-client-shaped instruments to what the engine reports. */
export function escalationMetrics(m: {
  pagesSent: Inc;
  acks: Inc;
  pageLatenessSeconds: { observe(value: number): void };
  overdueEscalations: { set(value: number): void };
}): EscalationMetrics {
  return {
    pagesSent: (count) => m.pagesSent.inc(count),
    acked: () => m.acks.inc(),
    pageLateness: (seconds) => m.pageLatenessSeconds.observe(seconds),
    overdue: (count) => m.overdueEscalations.set(count),
  };
}

// The moments a postmortem measures from, and the durations between them.
import type { PostmortemInput } from './model.js';

export interface Phases {
  /** The earliest sign of the incident: its opening, or an earlier backdated timeline entry. */
  detected: Date;
  opened: Date;
  /** First acknowledgement of a page (`/incident ack` or the Acknowledge button). */
  acknowledged: Date | null;
  /** First status `monitoring`, or the first successful cancel/terminate of a blocking session. */
  mitigated: Date | null;
  /** Status `resolved` or the close, whichever came first. */
  resolved: Date | null;
}

export interface KeyDurations {
  toAcknowledge: number | null;
  toMitigate: number | null;
  toResolve: number | null;
}

const earliest = (dates: (Date | null | undefined)[]): Date | null => {
  let best: Date | null = null;
  for (const d of dates) if (d && (best === null || d.getTime() < best.getTime())) best = d;
  return best;
};

export function findPhases(input: PostmortemInput): Phases {
  const { incident, events } = input;
  const detected = earliest([incident.openedAt, ...events.map((e) => e.occurredAt)]) ?? incident.openedAt;
  const acknowledged = earliest([
    ...events.filter((e) => e.kind === 'ack').map((e) => e.occurredAt),
    ...input.acks.map((a) => a.at),
  ]);
  const mitigated = earliest([
    ...events.filter((e) => e.kind === 'status' && statusOf(e.data) === 'monitoring').map((e) => e.occurredAt),
    ...input.actions.filter((a) => a.succeeded).map((a) => a.at),
  ]);
  const resolved = earliest([
    ...events.filter((e) => e.kind === 'status' && statusOf(e.data) === 'resolved').map((e) => e.occurredAt),
    ...events.filter((e) => e.kind === 'close').map((e) => e.occurredAt),
    incident.closedAt,
  ]);
  return { detected, opened: incident.openedAt, acknowledged, mitigated, resolved };
}

function statusOf(data: Record<string, unknown>): string | null {
  const status = data.status ?? data.to;
  return typeof status === 'string' ? status : null;
}

export function keyDurations(p: Phases): KeyDurations {
  const since = (d: Date | null): number | null => (d === null ? null : d.getTime() - p.detected.getTime());
  return { toAcknowledge: since(p.acknowledged), toMitigate: since(p.mitigated), toResolve: since(p.resolved) };
}

import type { TimelineEvent } from '../timeline/model.js';
import type { PostmortemIncident } from './model.js';

/** The moments a postmortem measures from; null when the incident never reached them. */
export interface Phases {
  /** The earliest thing recorded: a backdated note can say it started before anyone opened it. */
  detected: Date;
  opened: Date;
  acknowledged: Date | null;
  /** The first move to `monitoring` (a fix is in and being watched), else the resolution. */
  mitigated: Date | null;
  resolved: Date | null;
}

function firstStatus(events: TimelineEvent[], to: string): Date | null {
  return events.find((e) => e.kind === 'status' && e.data['to'] === to)?.occurredAt ?? null;
}

export function phasesOf(incident: PostmortemIncident, events: TimelineEvent[]): Phases {
  const ordered = [...events].sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  const earliest = ordered[0]?.occurredAt;
  const detected = earliest && earliest < incident.openedAt ? earliest : incident.openedAt;
  const resolved = incident.closedAt ?? firstStatus(ordered, 'resolved');
  return {
    detected,
    opened: incident.openedAt,
    acknowledged: ordered.find((e) => e.kind === 'ack')?.occurredAt ?? null,
    mitigated: firstStatus(ordered, 'monitoring') ?? resolved,
    resolved,
  };
}

/** Milliseconds from detection to each phase, the figures teams compare across incidents. */
export function keyDurations(phases: Phases): { acknowledge: number | null; mitigate: number | null; resolve: number | null } {
  const since = (at: Date | null) => (at ? at.getTime() - phases.detected.getTime() : null);
  return { acknowledge: since(phases.acknowledged), mitigate: since(phases.mitigated), resolve: since(phases.resolved) };
}

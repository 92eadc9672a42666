// Compiling a draft: read what the incident recorded, compose, and keep it as a new version when
// the text changed. Repositories come in through PostmortemSources, so the rules test without I/O.
import type { Incident } from '../incidents/model.js';
import type { TimelineEvent } from '../timeline/model.js';
import { composePostmortem } from './compose.js';
import { formatDuration } from '../time/format.js';
import { describeChanges, summarise, type DraftSummary, type Headline } from './diff.js';
import { actionsFrom, snapshotsFrom } from './evidence.js';
import type { AckRecord, CapturedMessage, LockSnapshot, PageRecord, PostmortemIncident, PostmortemInput, RenderSettings } from './model.js';
import { findPhases, keyDurations } from './phases.js';
import type { PostmortemVersion } from './repository.js';

export interface PostmortemSources {
  incident(id: number): Promise<Incident | null>;
  events(incidentId: number): Promise<TimelineEvent[]>;
  messages(channelId: string): Promise<CapturedMessage[]>;
  /** Pages and acks kept by escalation, when it keeps them apart from the timeline. */
  escalation?(incidentId: number): Promise<{ pages: PageRecord[]; acks: AckRecord[] }>;
  latest(incidentId: number): Promise<PostmortemVersion | null>;
  add(incidentId: number, version: number, markdown: string, summary: DraftSummary, createdBy: string | null): Promise<PostmortemVersion | null>;
}

export interface CompileResult {
  version: PostmortemVersion;
  /** false when the text was the same as the latest version's, which is returned instead. */
  created: boolean;
  /** `first draft`, `2 timeline entries added; sections changed: Incident Timeline`, `no changes`. */
  changes: string;
}

export function toPostmortemIncident(i: Incident): PostmortemIncident {
  return {
    id: i.id, title: i.title, severity: i.severity, leadUserId: i.leadUserId, openedAt: i.openedAt, closedAt: i.closedAt,
    closeSummary: i.closeSummary, channelId: i.channelId, channelName: i.channelName, teamId: i.teamId,
  };
}

// Two replicas compiling at once race for the next version number; the loser reads the winner's.
const MAX_VERSION_RACES = 3;

export async function compile(
  sources: PostmortemSources,
  settings: RenderSettings,
  incidentId: number,
  createdBy: string | null,
): Promise<CompileResult> {
  const incident = await sources.incident(incidentId);
  if (incident === null) throw new Error(`incident ${incidentId} does not exist`);
  const events = await sources.events(incidentId);
  const messages = incident.channelId !== null ? await sources.messages(incident.channelId) : [];
  const escalation = (await sources.escalation?.(incidentId)) ?? { pages: [], acks: [] };
  const snapshots = snapshotsFrom(events);
  const input: PostmortemInput = {
    incident: toPostmortemIncident(incident),
    events,
    messages,
    pages: escalation.pages,
    acks: escalation.acks,
    snapshots,
    actions: actionsFrom(events),
    settings,
  };
  const markdown = composePostmortem(input);
  const summary = { ...summarise(markdown, events.map((e) => e.id), messages.length), headline: headline(input, snapshots) };
  for (let race = 0; race < MAX_VERSION_RACES; race++) {
    const latest = await sources.latest(incidentId);
    if (latest !== null && latest.markdown === markdown) return { version: latest, created: false, changes: 'no changes' };
    const changes = describeChanges(latest?.summary ?? null, summary);
    const stored = await sources.add(incidentId, (latest?.version ?? 0) + 1, markdown, { ...summary, changes }, createdBy);
    if (stored !== null) return { version: stored, created: true, changes };
  }
  throw new Error(`incident ${incidentId}: could not store a new postmortem version`);
}

function headline(input: PostmortemInput, snapshots: readonly LockSnapshot[]): Headline {
  const d = keyDurations(findPhases(input));
  const text = (ms: number | null): string => (ms === null ? 'not recorded' : formatDuration(ms));
  const worst = [...snapshots].sort((a, b) => b.blockedTotal - a.blockedTotal)[0];
  const root = worst?.roots[0];
  const rootBlocker =
    root === undefined
      ? null
      : `${root.pid !== null ? `pid ${root.pid}` : 'a prepared transaction'}${root.user !== null ? ` (${root.user})` : ''}${root.state !== null ? `, ${root.state}${root.inStateMs !== null ? ` for ${formatDuration(root.inStateMs)}` : ''}` : ''}, blocking ${root.blocksTotal}`;
  return { channelId: input.incident.channelId, toAcknowledge: text(d.toAcknowledge), toMitigate: text(d.toMitigate), toResolve: text(d.toResolve), rootBlocker };
}

// What a postmortem is composed from: plain typed values, read from the store by the service.
import type { Severity } from '../incidents/model.js';
import type { RootSummary, WaiterSummary } from '../locks/render.js';
import type { TimelineEvent } from '../timeline/model.js';

export interface PostmortemIncident {
  id: number;
  title: string;
  severity: Severity;
  leadUserId: string | null;
  openedAt: Date;
  closedAt: Date | null;
  closeSummary: string | null;
  channelId: string | null;
  channelName: string | null;
  teamId: string;
}

/** A message of the incident channel; `threadTs` is the parent's ts for a reply. */
export interface CapturedMessage {
  ts: string;
  userId: string | null;
  text: string;
  threadTs: string | null;
}

export interface PageRecord {
  userId: string;
  at: Date;
  tier: number | null;
}

export interface AckRecord {
  userId: string;
  at: Date;
}

// What a lock_snapshot event's data holds is written by /locks (snapshotSummary): the postmortem
// reads those same types, so the two cannot drift apart.

/** A relation a root blocker holds a lock on. */
export type LockHold = RootSummary['holds'][number];

/** Sessions waiting behind a root, grouped by what they wait for. */
export type LockWaitGroup = Pick<WaiterSummary, 'count' | 'wait' | 'mode'>;

/** A session at the head of a wait chain (pid null for a prepared transaction). */
export type LockRoot = Pick<
  RootSummary,
  'pid' | 'preparedGid' | 'user' | 'application' | 'state' | 'inStateMs' | 'xactAgeMs' | 'holds' | 'blocksTotal'
> & { waiters: LockWaitGroup[] };

export interface LockSnapshot {
  takenAt: Date;
  database: string;
  /** Sessions blocked in all, across roots. */
  blockedTotal: number;
  takenBy: string | null;
  roots: LockRoot[];
  /** Setting advice the /locks inspection itself produced. */
  suggestions: string[];
  /** The Slack message that showed the snapshot, when there is one. */
  sourceTs: string | null;
}

export interface LockAction {
  action: 'terminate' | 'cancel';
  pid: number;
  database: string | null;
  by: string;
  at: Date;
  succeeded: boolean;
}

export interface RenderSettings {
  /** IANA zone every time is written in. */
  zone: string;
  clock: '24h' | '12h';
  /** `https://acme.slack.com`, for message links; null: `slack://` deep links. */
  workspaceUrl: string | null;
  /** Display names by Slack user id, where known. */
  userNames: Readonly<Record<string, string>>;
}

export interface PostmortemInput {
  incident: PostmortemIncident;
  events: TimelineEvent[];
  messages: CapturedMessage[];
  pages: PageRecord[];
  acks: AckRecord[];
  snapshots: LockSnapshot[];
  actions: LockAction[];
  settings: RenderSettings;
}

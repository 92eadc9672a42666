import type { TimelineEvent } from '../timeline/model.js';

export interface PostmortemIncident {
  id: number;
  title: string;
  severity: number;
  leadUserId: string | null;
  openedBy: string;
  openedAt: Date;
  closedAt: Date | null;
  closeSummary: string | null;
  channelId: string | null;
  channelName: string | null;
}

export interface CapturedMessage {
  ts: string;
  userId: string | null;
  text: string;
  threadTs: string | null;
}

/** The part of a `/locks` snapshot (a lock_snapshot event's data) the postmortem reads. */
export interface LockEvidence {
  database: string;
  at: string;
  blockedTotal: number;
  roots: {
    pid: number | null;
    preparedGid?: string | null;
    user: string | null;
    application: string | null;
    state: string | null;
    inStateMs: number | null;
    xactAgeMs: number | null;
    holds: { relation: string; mode: string }[];
    blocksTotal: number;
    waiters: { count: number; wait: string; mode: string }[];
  }[];
  suggestions: string[];
}

export interface PostmortemInput {
  incident: PostmortemIncident;
  events: TimelineEvent[];
  messages: CapturedMessage[];
  /** The team's zone: every time in the document is written in it. */
  zone: string;
  clock: '24h' | '12h';
  /** e.g. https://acme.slack.com, for links to messages; null writes no links. */
  workspaceUrl: string | null;
  /** Slack user id → display name, where known. */
  names: Readonly<Record<string, string>>;
  version: number;
  generatedAt: Date;
}

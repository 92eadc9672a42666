export const SEVERITIES = [1, 2, 3, 4] as const;
export type Severity = (typeof SEVERITIES)[number];

export const STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type Status = (typeof STATUSES)[number];

export type IncidentState = 'opening' | 'open' | 'closed' | 'failed';

export interface Incident {
  id: number;
  teamId: string;
  title: string;
  severity: Severity;
  status: Status;
  state: IncidentState;
  leadUserId: string | null;
  openedBy: string;
  openedAt: Date;
  closedAt: Date | null;
  closeSummary: string | null;
  originChannelId: string | null;
  channelId: string | null;
  channelName: string | null;
  cardTs: string | null;
  problems: string[];
  /** Bumped by every recorded change: the card and topic effects are keyed by it. */
  version: number;
}

export function severityLabel(severity: Severity): string {
  return `SEV${severity}`;
}

/** The longest title we accept: it has to fit a channel topic (250) with the severity and status. */
export const MAX_TITLE_LENGTH = 150;

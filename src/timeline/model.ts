export const EVENT_KINDS = [
  'open',
  'note',
  'status',
  'severity',
  'lead',
  'page',
  'ack',
  'lock_snapshot',
  'pinned',
  'close',
] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface TimelineEvent {
  id: number;
  incidentId: number;
  /** When it happened (UTC instant); for a backdated note, the time the person typed. */
  occurredAt: Date;
  recordedAt: Date;
  kind: EventKind;
  authorId: string | null;
  text: string;
  /** The time expression as the person typed it, and the zone token they typed (if any). */
  typedTime: string | null;
  typedZone: string | null;
  /** The IANA zone the typed time was read in. */
  zoneUsed: string | null;
  warnings: string[];
  /** The Slack message ts this event came from, when it came from one. */
  sourceTs: string | null;
  data: Record<string, unknown>;
}

export type NewTimelineEvent = Pick<TimelineEvent, 'incidentId' | 'occurredAt' | 'kind' | 'authorId' | 'text'> &
  Partial<Pick<TimelineEvent, 'typedTime' | 'typedZone' | 'zoneUsed' | 'warnings' | 'sourceTs' | 'data'>> & {
    /** The Slack request that recorded it: a re-run of that request records nothing twice. */
    requestId?: string;
  };

/** What the timeline needs to know of an incident (the incidents module provides it). */
export interface TimelineIncident {
  id: number;
  title: string;
  channelId: string | null;
}

export interface IncidentLookup {
  byChannel(channelId: string): Promise<TimelineIncident | null>;
  byId(id: number): Promise<TimelineIncident | null>;
}

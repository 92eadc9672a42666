import type { Queryable } from '../store/queryable.js';

/**
 * A Slack effect of paging: `page` opens a DM with the person and posts the page, `page_update`
 * re-renders a page already sent (after an ack). `key` dedupes delivery and travels in the
 * Slack message metadata, so a crash between "posted" and "recorded" posts nothing twice.
 */
export interface PageEffect {
  kind: 'page' | 'page_update';
  incidentId: number;
  pageId: number;
  userId: string;
  key: string;
}

/** Durable delivery of page effects: `add` joins the caller's transaction, `wake` runs after commit. */
export interface PageOutbox {
  add(db: Queryable, effects: PageEffect[]): Promise<void>;
  wake(): Promise<void>;
}

/** What the escalation engine reports to /metrics. */
export interface EscalationMetrics {
  pagesSent(count: number): void;
  acked(): void;
  pageLateness(seconds: number): void;
  overdue(count: number): void;
}

export const NO_METRICS: EscalationMetrics = {
  pagesSent: () => undefined,
  acked: () => undefined,
  pageLateness: () => undefined,
  overdue: () => undefined,
};

/** Members of a Slack usergroup (usergroups.users.list). */
export type UsergroupMembers = (usergroupId: string) => Promise<string[]>;

export function pageKey(p: { incidentId: number; generation: number; loop: number; tier: number; userId: string }): string {
  return `page:${p.incidentId}:${p.generation}:${p.loop}:${p.tier}:${p.userId}`;
}

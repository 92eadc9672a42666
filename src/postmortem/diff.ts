// What changed between two versions of a draft, in words a person reads in Slack.
import { createHash } from 'node:crypto';

export interface DraftSummary {
  /** Section title → hash of its text. */
  sections: Record<string, string>;
  eventIds: number[];
  messageCount: number;
  /** What the version changed, said in the channel when it is published. */
  changes?: string;
  /** The figures the channel message quotes. */
  headline?: Headline;
}

export interface Headline {
  channelId: string | null;
  toAcknowledge: string;
  toMitigate: string;
  toResolve: string;
  /** `pid 4242 (app), idle in transaction for 21m`, from the snapshot that blocked most. */
  rootBlocker: string | null;
}

/** Splits the Markdown at its `## ` headings and fingerprints each section. */
export function summarise(markdown: string, eventIds: readonly number[], messageCount: number): DraftSummary {
  const sections: Record<string, string> = {};
  for (const part of markdown.split(/^## /m).slice(1)) {
    const newline = part.indexOf('\n');
    const title = newline === -1 ? part : part.slice(0, newline);
    sections[title.trim()] = createHash('sha256').update(part).digest('hex').slice(0, 16);
  }
  return { sections, eventIds: [...eventIds], messageCount };
}

export function describeChanges(before: DraftSummary | null, after: DraftSummary): string {
  if (before === null) return 'first draft';
  const changed = Object.keys(after.sections).filter((t) => before.sections[t] !== after.sections[t]);
  const known = new Set(before.eventIds);
  const added = after.eventIds.filter((id) => !known.has(id)).length;
  const removed = before.eventIds.filter((id) => !after.eventIds.includes(id)).length;
  const messages = after.messageCount - before.messageCount;
  const parts: string[] = [];
  if (added > 0) parts.push(`${added} timeline ${added === 1 ? 'entry' : 'entries'} added`);
  if (removed > 0) parts.push(`${removed} timeline ${removed === 1 ? 'entry' : 'entries'} gone`);
  if (messages > 0) parts.push(`${messages} more channel ${messages === 1 ? 'message' : 'messages'}`);
  if (changed.length > 0) parts.push(`sections changed: ${changed.join(', ')}`);
  return parts.length === 0 ? 'no changes' : parts.join('; ');
}

import { fileEffect } from '../outbox/file-effect.js';
import type { NewEffect } from '../outbox/model.js';
import { escapeMrkdwn } from '../text/mrkdwn.js';
import type { LocksInspection } from './service.js';

/** A name Slack shows and a downloader keeps: the database and the moment, nothing else. */
function filename(database: string, at: string): string {
  const slug = database.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'database';
  return `locks-${slug}-${at.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.txt`;
}

/**
 * The whole forest as a text file shared right after a summarised picture (same lane, so it
 * lands after it); null when the message showed everything.
 */
export function detailFileEffect(key: string, channel: string, inspection: LocksInspection, incidentId: number | null): NewEffect | null {
  const detail = inspection.rendered.detailText;
  if (detail === null || inspection.snapshot === null) return null;
  const { database, at, roots, blockedTotal } = inspection.snapshot;
  return fileEffect(
    key,
    channel,
    {
      filename: filename(database, at),
      title: `Lock picture of ${database} at ${at}`,
      content: detail,
      initialComment: `Full detail of the lock picture of *${escapeMrkdwn(database)}* above: ${
        roots.length === 1 ? 'its root blocker' : `all ${roots.length} root blockers`
      } and ${blockedTotal === 1 ? 'the session' : `the ${blockedTotal} sessions`} waiting, biggest roots first.`,
    },
    incidentId,
  );
}

// Publishing one version into the incident channel: the Markdown file, a short message with the
// figures, and a canvas where the workspace has them. Each step is recorded as it lands, so a
// retry (the outbox re-runs the effect after a crash) does only what is still missing.
import type { FileToShare } from '../outbox/file-effect.js';
import { SlackApiError, type SlackGateway, type SlackMessage } from '../ports/slack.js';
import { escapeMrkdwn } from '../text/mrkdwn.js';
import type { PostmortemRepository } from './repository.js';

export interface PublishDeps {
  slack: Pick<SlackGateway, 'postMessage' | 'createCanvas'>;
  /** Shares a file into the channel once however often it is retried (the outbox's file steps); its id. */
  shareFile(channelId: string, file: FileToShare): Promise<string>;
  versions: Pick<PostmortemRepository, 'get' | 'recordPublished'>;
  /** The outbox's keyed post (seen-before check in message metadata); plain postMessage without it. */
  postOnce?(channelId: string, message: SlackMessage): Promise<{ ts: string }>;
  /** Try a canvas as well. */
  canvas: boolean;
  warn(message: string, detail: Record<string, unknown>): void;
}

export interface Published {
  fileId: string;
  messageTs: string;
  canvasId: string | null;
}

// A canvas that could not be made is recorded as tried, so a retry does not keep asking.
const NO_CANVAS = '';

export async function publishPostmortem(deps: PublishDeps, incidentId: number, version: number): Promise<Published> {
  const v = await deps.versions.get(incidentId, version);
  if (v === null) throw new Error(`postmortem ${incidentId} v${version} does not exist`);
  const h = v.summary.headline;
  const channel = h?.channelId ?? null;
  if (channel === null) throw new Error(`incident ${incidentId} has no channel to publish into`);

  let fileId = v.fileId;
  if (fileId === null) {
    fileId = await deps.shareFile(channel, {
      filename: `postmortem-incident-${incidentId}-v${version}.md`,
      title: `Postmortem draft: incident ${incidentId}, version ${version}`,
      content: v.markdown,
    });
    await deps.versions.recordPublished(incidentId, version, { fileId });
  }

  let messageTs = v.messageTs;
  if (messageTs === null) {
    const message = summaryMessage(incidentId, version, v.summary.changes ?? null, h);
    ({ ts: messageTs } = await (deps.postOnce ? deps.postOnce(channel, message) : deps.slack.postMessage(channel, message)));
    await deps.versions.recordPublished(incidentId, version, { messageTs });
  }

  let canvasId = v.canvasId;
  if (deps.canvas && canvasId === null) {
    try {
      ({ canvasId } = await deps.slack.createCanvas(channel, `Postmortem: incident ${incidentId}`, v.markdown));
    } catch (error) {
      // A workspace without canvases (or a channel that has one already) still has the file.
      if (error instanceof SlackApiError && error.transient) throw error;
      deps.warn('postmortem canvas not created', { incidentId, version, error: error instanceof Error ? error.message : String(error) });
      canvasId = NO_CANVAS;
    }
    await deps.versions.recordPublished(incidentId, version, { canvasId });
  }
  return { fileId, messageTs, canvasId: canvasId === NO_CANVAS ? null : canvasId };
}

export function summaryMessage(
  incidentId: number,
  version: number,
  changes: string | null,
  h: { toAcknowledge: string; toMitigate: string; toResolve: string; rootBlocker: string | null } | undefined,
): SlackMessage {
  const lines = [
    `:memo: Postmortem draft for incident #${incidentId}, version ${version}${changes !== null && version > 1 ? ` (${escapeMrkdwn(changes)})` : ''}. Edit it and make it yours.`,
  ];
  if (h !== undefined) {
    lines.push(`Time to acknowledge *${h.toAcknowledge}*, to mitigate *${h.toMitigate}*, to resolve *${h.toResolve}*.`);
    if (h.rootBlocker !== null) lines.push(`Root blocker: ${escapeMrkdwn(h.rootBlocker)}.`);
  }
  return { text: lines.join('\n') };
}

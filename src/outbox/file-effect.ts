// A text file shared into a channel through Slack's three steps: files.getUploadURLExternal
// reserves it, the bytes go to its upload URL, files.completeUploadExternal shares it. Only the
// last step shows anything, and a file share carries no message metadata, so shown-once rests
// on the progress saved between the steps:
// - the file id is saved as soon as Slack hands it out: a retry uploads to that same file
//   instead of reserving another (a reservation lost with a crash is never shown: harmless);
// - `sharing` is saved just before the share: a retry that finds it looks for a file_share
//   message carrying the file id in the channel's newest messages and is done when it is there;
//   otherwise it shares now. Slack shares asynchronously, so a share that reached Slack may not
//   be in the history yet: completing a completed file answers `file_not_found`, which after
//   `sharing` means exactly that. Without `sharing`, `file_not_found` (or an upload URL that
//   refuses the bytes) means the reservation is gone: the attempt starts over with a new one.
import { SlackApiError, type PendingUpload } from '../ports/slack.js';
import type { DeliveryContext, Effect, NewEffect } from './model.js';
import type { Outbox } from './outbox.js';

export const FILE = 'slack.file';

export interface FileToShare {
  filename: string;
  title: string;
  /** UTF-8 text. */
  content: string;
  /** The text of the file_share message (mrkdwn). */
  initialComment?: string;
}

interface FilePayload {
  channel: string;
  file: FileToShare;
}

interface FileProgress {
  fileId?: string;
  uploadUrl?: string;
  sharing?: boolean;
}

export function fileEffect(key: string, channel: string, file: FileToShare, incidentId: number | null = null): NewEffect {
  return { lane: channel, kind: FILE, key, incidentId, payload: { channel, file } satisfies FilePayload as unknown as Record<string, unknown> };
}

function isCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof SlackApiError && codes.includes(error.code);
}

async function share(ctx: DeliveryContext, fileId: string, channel: string, file: FileToShare): Promise<void> {
  const request = { channelId: channel, title: file.title, ...(file.initialComment !== undefined ? { initialComment: file.initialComment } : {}) };
  try {
    await ctx.slack.completeUpload(fileId, request);
  } catch (error) {
    // chat:write.public posted the picture without the bot in the channel; a file needs it there.
    if (!isCode(error, 'not_in_channel')) throw error;
    await ctx.slack.joinChannel(channel);
    await ctx.slack.completeUpload(fileId, request);
  }
}

export async function deliverFile(effect: Effect, ctx: DeliveryContext): Promise<void> {
  const { channel, file } = effect.payload as unknown as FilePayload;
  const progress = effect.progress as FileProgress;
  if (progress.sharing === true && progress.fileId !== undefined) {
    // Not in the channel: nothing can have been shared there (share() joins it first).
    const shared = await ctx.slack.findFileShare(channel, progress.fileId).catch((error: unknown) => {
      if (isCode(error, 'not_in_channel')) return null;
      throw error;
    });
    if (shared) return;
    try {
      await share(ctx, progress.fileId, channel, file);
    } catch (error) {
      if (!isCode(error, 'file_not_found')) throw error;
    }
    return;
  }

  const bytes = Buffer.from(file.content, 'utf8');
  const reserve = async (): Promise<PendingUpload> => {
    const pending = await ctx.slack.startUpload(file.filename, bytes.length);
    await ctx.saveProgress({ fileId: pending.fileId, uploadUrl: pending.uploadUrl } satisfies FileProgress);
    return pending;
  };
  const upload = async (pending: PendingUpload): Promise<void> => {
    await ctx.slack.sendUpload(pending.uploadUrl, bytes);
    await ctx.saveProgress({ ...pending, sharing: true } satisfies FileProgress);
    await share(ctx, pending.fileId, channel, file);
  };

  const saved = progress.fileId !== undefined && progress.uploadUrl !== undefined ? { fileId: progress.fileId, uploadUrl: progress.uploadUrl } : null;
  if (saved === null) return upload(await reserve());
  try {
    await upload(saved);
  } catch (error) {
    if (!isCode(error, 'file_not_found', 'upload_rejected')) throw error;
    await upload(await reserve());
  }
}

export function registerFileEffect(outbox: Outbox): void {
  outbox.register(FILE, deliverFile);
}

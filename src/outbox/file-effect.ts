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
import { SlackApiError, type PendingUpload, type SlackGateway } from '../ports/slack.js';
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

export interface FileProgress {
  fileId?: string;
  uploadUrl?: string;
  sharing?: boolean;
}

/** Where one file's steps are remembered between attempts: an effect's progress, or a part of it. */
export interface FileSteps {
  saved: FileProgress;
  save(progress: FileProgress): Promise<void>;
}

type FileSlack = Pick<SlackGateway, 'startUpload' | 'sendUpload' | 'completeUpload' | 'findFileShare' | 'joinChannel'>;

export function fileEffect(key: string, channel: string, file: FileToShare, incidentId: number | null = null): NewEffect {
  return { lane: channel, kind: FILE, key, incidentId, payload: { channel, file } satisfies FilePayload as unknown as Record<string, unknown> };
}

function isCode(error: unknown, ...codes: string[]): boolean {
  return error instanceof SlackApiError && codes.includes(error.code);
}

async function share(slack: FileSlack, fileId: string, channel: string, file: FileToShare): Promise<void> {
  const request = { channelId: channel, title: file.title, ...(file.initialComment !== undefined ? { initialComment: file.initialComment } : {}) };
  try {
    await slack.completeUpload(fileId, request);
  } catch (error) {
    // chat:write.public posted the picture without the bot in the channel; a file needs it there.
    if (!isCode(error, 'not_in_channel')) throw error;
    await slack.joinChannel(channel);
    await slack.completeUpload(fileId, request);
  }
}

/** Shares `file` into `channel` at most once however often it is retried; the file's id. */
export async function shareFileOnce(slack: FileSlack, steps: FileSteps, channel: string, file: FileToShare): Promise<string> {
  const progress = steps.saved;
  if (progress.sharing === true && progress.fileId !== undefined) {
    // Not in the channel: nothing can have been shared there (share() joins it first).
    const shared = await slack.findFileShare(channel, progress.fileId).catch((error: unknown) => {
      if (isCode(error, 'not_in_channel')) return null;
      throw error;
    });
    if (shared) return progress.fileId;
    try {
      await share(slack, progress.fileId, channel, file);
    } catch (error) {
      if (!isCode(error, 'file_not_found')) throw error;
    }
    return progress.fileId;
  }

  const bytes = Buffer.from(file.content, 'utf8');
  const reserve = async (): Promise<PendingUpload> => {
    const pending = await slack.startUpload(file.filename, bytes.length);
    await steps.save({ fileId: pending.fileId, uploadUrl: pending.uploadUrl });
    return pending;
  };
  const upload = async (pending: PendingUpload): Promise<string> => {
    await slack.sendUpload(pending.uploadUrl, bytes);
    await steps.save({ ...pending, sharing: true });
    await share(slack, pending.fileId, channel, file);
    return pending.fileId;
  };

  const saved = progress.fileId !== undefined && progress.uploadUrl !== undefined ? { fileId: progress.fileId, uploadUrl: progress.uploadUrl } : null;
  if (saved === null) return upload(await reserve());
  try {
    return await upload(saved);
  } catch (error) {
    if (!isCode(error, 'file_not_found', 'upload_rejected')) throw error;
    return upload(await reserve());
  }
}

export async function deliverFile(effect: Effect, ctx: DeliveryContext): Promise<void> {
  const { channel, file } = effect.payload as unknown as FilePayload;
  await shareFileOnce(ctx.slack, { saved: effect.progress as FileProgress, save: (progress) => ctx.saveProgress({ ...progress }) }, channel, file);
}

export function registerFileEffect(outbox: Outbox): void {
  outbox.register(FILE, deliverFile);
}

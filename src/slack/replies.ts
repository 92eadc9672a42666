import { UserError, errorReply, type Reply } from '../common/context.js';
import type { Logger } from '../log.js';

/** Turns a failure into what the person sees: their mistake explained, or our failure admitted. */
export function replyForError(error: unknown, log: Logger): Reply {
  if (error instanceof UserError) return errorReply(error.message, error.usage);
  log.error({ err: error instanceof Error ? { message: error.message, stack: error.stack } : String(error) }, 'command failed');
  const reason = error instanceof Error ? error.message : String(error);
  return { text: `:x: Firebreak could not do that: ${reason}. Please try again.` };
}

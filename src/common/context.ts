import type { Block } from '../ports/slack.js';

/** Who typed a command, where, and when: parsed once from the Slack payload. */
export interface CommandContext {
  teamId: string;
  userId: string;
  channelId: string;
  receivedAt: Date;
  /** Unique per user action (Slack's trigger_id or view id): a redelivery carries the same one. */
  requestId: string;
}

/** What the person who typed the command sees (ephemeral). */
export interface Reply {
  text: string;
  blocks?: Block[];
}

/** A problem the person can fix; its message is shown to them as it is. */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

export function errorReply(message: string, usage?: string): Reply {
  return { text: usage ? `:warning: ${message}\nUsage: ${usage}` : `:warning: ${message}` };
}

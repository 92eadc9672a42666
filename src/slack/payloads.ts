import type { CommandContext } from '../common/context.js';

/**
 * What the inbox keeps of each Slack request: plain JSON, read back into typed values by the
 * handlers (after a crash, by another replica).
 */
export interface CommandPayload {
  command: string;
  text: string;
  teamId: string;
  userId: string;
  channelId: string;
  triggerId: string;
  responseUrl: string;
  receivedAt: string;
}

export interface ActionPayload {
  actionId: string;
  value: string;
  teamId: string;
  userId: string;
  channelId: string;
  triggerId: string;
  responseUrl: string | null;
  receivedAt: string;
}

export interface OpenViewPayload {
  viewId: string;
  title: string;
  severityText: string;
  teamId: string;
  userId: string;
  originChannelId: string;
  receivedAt: string;
}

export interface EventPayload {
  eventId: string;
  event: Record<string, unknown>;
}

export function commandContextOf(payload: CommandPayload): CommandContext {
  return {
    teamId: payload.teamId,
    userId: payload.userId,
    channelId: payload.channelId,
    receivedAt: new Date(payload.receivedAt),
    requestId: payload.triggerId,
  };
}

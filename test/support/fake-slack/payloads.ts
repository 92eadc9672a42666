// The bodies Slack sends to an app's Request URL, built as Slack builds them. Pure functions:
// the driver signs and sends them.
import { isRecord } from './args.js';

/** The deprecated verification token the fake's payloads carry unless told otherwise. */
export const DEFAULT_VERIFICATION_TOKEN = 'fakeVerificationToken0000';

export interface AppIdentity {
  teamId: string;
  teamDomain: string;
  appId: string;
  botUserId: string;
  /** The deprecated verification token Slack still puts in every payload. */
  verificationToken: string;
}

export interface SlashCommandFields {
  command: string;
  text: string;
  userId: string;
  userName: string;
  channelId: string;
  channelName: string;
  teamId: string;
  responseUrl: string;
  triggerId: string;
}

/** What a test says about a slash command; the other fields are filled in as Slack would. */
export interface SlashCommandInput {
  command?: string;
  text?: string;
  userId: string;
  channelId: string;
  channelName?: string;
  teamId?: string;
  userName?: string;
}

/** What the workspace knows that a slash command carries: the team, the user's name, the channel. */
export interface SlashCommandContext {
  teamId: string;
  userName: string | undefined;
  channel: { is_im: boolean; is_private: boolean; name: string } | undefined;
  responseUrl: string;
  triggerId: string;
}

export function slashCommandFields(input: SlashCommandInput, known: SlashCommandContext): SlashCommandFields {
  const channel = known.channel;
  return {
    command: input.command ?? '/incident',
    text: input.text ?? '',
    userId: input.userId,
    userName: input.userName ?? known.userName ?? input.userId.toLowerCase(),
    channelId: input.channelId,
    channelName:
      input.channelName ?? (channel?.is_im ? 'directmessage' : channel?.is_private ? 'privategroup' : channel?.name ?? 'unknown'),
    teamId: input.teamId ?? known.teamId,
    responseUrl: known.responseUrl,
    triggerId: known.triggerId,
  };
}

/** Form body, fields in Slack's order. */
export function slashCommandBody(app: AppIdentity, f: SlashCommandFields): string {
  return new URLSearchParams([
    ['token', app.verificationToken],
    ['team_id', f.teamId],
    ['team_domain', app.teamDomain],
    ['channel_id', f.channelId],
    ['channel_name', f.channelName],
    ['user_id', f.userId],
    ['user_name', f.userName],
    ['command', f.command],
    ['text', f.text],
    ['api_app_id', app.appId],
    ['is_enterprise_install', 'false'],
    ['response_url', f.responseUrl],
    ['trigger_id', f.triggerId],
  ]).toString();
}

/** A slash command as Socket Mode carries it: the same fields as the form, as a JSON object of strings. */
export function slashCommandPayload(app: AppIdentity, f: SlashCommandFields): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(slashCommandBody(app, f)));
}

/** Interactivity bodies are a form with one field, `payload`, holding JSON. */
export function interactivityBody(payload: Record<string, unknown>): string {
  return new URLSearchParams([['payload', JSON.stringify(payload)]]).toString();
}

export function actionTs(nowMs: number): string {
  return (nowMs / 1000).toFixed(6);
}

export interface FoundElement {
  blockId: string;
  element: Record<string, unknown>;
}

/** The interactive element with `actionId` in a message's or view's blocks, and its block. */
export function findElement(blocks: unknown, actionId: string): FoundElement | undefined {
  if (!Array.isArray(blocks)) return undefined;
  for (const block of blocks) {
    if (!isRecord(block)) continue;
    const candidates = [...(Array.isArray(block.elements) ? block.elements : []), block.accessory, block.element];
    for (const element of candidates) {
      if (isRecord(element) && element.action_id === actionId) {
        return { blockId: typeof block.block_id === 'string' ? block.block_id : '', element };
      }
    }
  }
  return undefined;
}

export interface EventEnvelopeFields {
  event: Record<string, unknown>;
  eventId: string;
  eventTime: number;
}

export function eventEnvelope(app: AppIdentity, f: EventEnvelopeFields): Record<string, unknown> {
  return {
    token: app.verificationToken,
    team_id: app.teamId,
    context_team_id: app.teamId,
    context_enterprise_id: null,
    api_app_id: app.appId,
    event: f.event,
    type: 'event_callback',
    event_id: f.eventId,
    event_time: f.eventTime,
    authorizations: [{ enterprise_id: null, team_id: app.teamId, user_id: app.botUserId, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
    event_context: `4-${Buffer.from(f.eventId).toString('base64url')}`,
  };
}

/** One `view.state.values` entry; a bare string is a plain_text_input's value. */
export type StateValue =
  | string
  | { type: 'plain_text_input'; value: string | null }
  | { type: 'static_select' | 'external_select'; selected_option: { text: { type: 'plain_text'; text: string }; value: string } | null }
  | { type: 'users_select'; selected_user: string | null }
  | { type: 'conversations_select' | 'channels_select'; selected_conversation?: string | null; selected_channel?: string | null }
  | { type: 'datepicker'; selected_date: string | null }
  | { type: 'timepicker'; selected_time: string | null; timezone?: string }
  | { type: 'checkboxes'; selected_options: { text: { type: 'plain_text'; text: string }; value: string }[] }
  | { type: string; [key: string]: unknown };

export function stateValues(values: Record<string, Record<string, StateValue>>): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [blockId, actions] of Object.entries(values)) {
    out[blockId] = {};
    for (const [actionId, value] of Object.entries(actions)) {
      (out[blockId])[actionId] = typeof value === 'string' ? { type: 'plain_text_input', value } : value;
    }
  }
  return out;
}

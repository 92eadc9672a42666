import type { MessageMetadata, SlackGateway, SlackMessage } from '../ports/slack.js';
import type { Queryable } from '../store/queryable.js';

/** A Slack effect owed by a recorded change. */
export interface NewEffect {
  /**
   * Effects of one lane are delivered one at a time, in the order they were written: an incident
   * channel's id, or `dm:<user>` for direct messages. A throttled lane waits alone.
   */
  lane: string;
  /** The registered handler that performs it. */
  kind: string;
  /** Unique: a second add with the same key records nothing. Carried in the message metadata. */
  key: string;
  incidentId?: number | null;
  payload?: Record<string, unknown>;
}

export interface Effect {
  id: number;
  lane: string;
  kind: string;
  key: string;
  incidentId: number | null;
  payload: Record<string, unknown>;
  progress: Record<string, unknown>;
  /** Including this one: more than 1 means an earlier attempt may have reached Slack. */
  attempts: number;
}

export interface DeliveryContext {
  slack: SlackGateway;
  db: Queryable;
  /**
   * Posts at most once for this effect: the post carries the effect key in its metadata, and a
   * retry first looks for it among the channel's newest messages.
   */
  postOnce(channel: string, message: SlackMessage): Promise<{ ts: string; channel: string }>;
  /** Keeps what a multi-step effect has done so far (a file uploaded, a DM opened). */
  saveProgress(progress: Record<string, unknown>): Promise<void>;
}

export type EffectHandler = (effect: Effect, ctx: DeliveryContext) => Promise<void>;

export const EFFECT_METADATA_TYPE = 'firebreak_effect';

export function effectMetadata(key: string): MessageMetadata {
  return { eventType: EFFECT_METADATA_TYPE, payload: { key } };
}

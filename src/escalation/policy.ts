import type { EscalationPolicy, EscalationSettings, Rotation, WebhookSettings } from './settings.js';

/**
 * The policy as it was when an escalation started, stored as JSON with the escalation:
 * editing firebreak.yml does not change escalations already running.
 */
export interface PolicySnapshot {
  name: string;
  repeat: number;
  tiers: { afterMs: number; notify: string[] }[];
  webhook: WebhookSettings | null;
  /** The rotations its tiers name, overrides included. */
  rotations: Record<string, Rotation>;
}

export interface Step {
  loop: number;
  tier: number;
}

export function snapshotPolicy(settings: EscalationSettings, name: string): PolicySnapshot {
  const policy: EscalationPolicy | undefined = settings.policies[name];
  if (!policy) throw new RangeError(`no escalation policy named ${name}`);
  const rotations: Record<string, Rotation> = {};
  for (const tier of policy.tiers) {
    for (const target of tier.notify) {
      const rotation = rotationName(target);
      const found = rotation === null ? undefined : settings.rotations[rotation];
      if (rotation !== null && found) rotations[rotation] = found;
    }
  }
  return { name, repeat: policy.repeat, tiers: policy.tiers.map((t) => ({ ...t, notify: [...t.notify] })), webhook: policy.webhook, rotations };
}

export function rotationName(target: string): string | null {
  return target.startsWith('rotation:') ? target.slice('rotation:'.length) : null;
}

/**
 * How long one pass over the tiers lasts: the last tier's `after`. Loop n (0 = the first
 * pass, 1 = the first repeat) starts n × this after the escalation started, and every tier's
 * `after` counts from the start of its loop. Config validation makes it positive when
 * `repeat` > 0.
 */
export function loopLengthMs(snapshot: PolicySnapshot): number {
  return snapshot.tiers.at(-1)?.afterMs ?? 0;
}

/** When `step` is due for an escalation that started at `startedAt`. */
export function dueAt(snapshot: PolicySnapshot, startedAt: Date, step: Step): Date {
  const tier = snapshot.tiers[step.tier];
  if (!tier || step.loop < 0 || step.loop > snapshot.repeat) throw new RangeError(`no step ${step.loop}/${step.tier} in policy ${snapshot.name}`);
  return new Date(startedAt.getTime() + step.loop * loopLengthMs(snapshot) + tier.afterMs);
}

/** The first step, or null for a policy with no tiers. */
export function firstStep(snapshot: PolicySnapshot): Step | null {
  return snapshot.tiers.length > 0 ? { loop: 0, tier: 0 } : null;
}

/** The step after `step`: the next tier, the first tier of the next loop, or null at the end. */
export function nextStep(snapshot: PolicySnapshot, step: Step): Step | null {
  if (step.tier + 1 < snapshot.tiers.length) return { loop: step.loop, tier: step.tier + 1 };
  if (step.loop < snapshot.repeat && snapshot.tiers.length > 0) return { loop: step.loop + 1, tier: 0 };
  return null;
}

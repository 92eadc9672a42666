import { z } from 'zod';
import { parseDuration } from '../duration.js';
import { wallClockToInstants } from '../time/parse.js';
import { isIanaZone, type WallClock } from '../time/zones.js';

export interface EscalationTier {
  afterMs: number;
  /** Slack user ids (U…/W…), usergroup ids (S…) or `rotation:NAME`, expanded when the tier fires. */
  notify: string[];
}

/** Where an outbound page goes besides Slack: the names of the variables holding URL and secret. */
export interface WebhookSettings {
  urlEnv: string;
  secretEnv: string;
}

export interface EscalationPolicy {
  repeat: number;
  tiers: EscalationTier[];
  webhook: WebhookSettings | null;
}

export interface RotationOverride {
  user: string;
  fromMs: number;
  toMs: number;
}

export interface Rotation {
  users: string[];
  /** The first hand-off as a wall clock in `zone`; later ones are whole calendar days after it. */
  start: WallClock;
  zone: string;
  lengthDays: number;
  overrides: RotationOverride[];
}

export interface EscalationSettings {
  defaultPolicy: string | null;
  bySeverity: Partial<Record<1 | 2 | 3 | 4, string>>;
  policies: Record<string, EscalationPolicy>;
  rotations: Record<string, Rotation>;
}

const USER = /^[UW][A-Z0-9]{2,}$/;
const TARGET = /^(?:[UWS][A-Z0-9]{2,}|rotation:[A-Za-z0-9_-]+)$/;
const WALL = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a duration such as 30s, 5m, 1h or 1h30m` });
    return z.NEVER;
  }
  return ms;
});

const length = z.string().transform((text, ctx) => {
  const match = /^(\d+)([dw])$/.exec(text.trim());
  const days = match ? Number(match[1]) * (match[2] === 'w' ? 7 : 1) : 0;
  if (days < 1) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a rotation length such as 1d, 1w or 2w` });
    return z.NEVER;
  }
  return days;
});

function readWall(text: string): WallClock | null {
  const m = WALL.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute] = m.slice(1).map(Number) as [number, number, number, number, number];
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute));
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day || hour > 23 || minute > 59) return null;
  return { year, month, day, hour, minute, second: 0 };
}

const wallTime = z.string().transform((text, ctx) => {
  const wall = readWall(text);
  if (wall === null) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a wall time such as 2026-01-05 09:00` });
    return z.NEVER;
  }
  return wall;
});

const webhook = z
  .object({
    url_env: z.string().regex(ENV_NAME, 'must be an environment variable name'),
    secret_env: z.string().regex(ENV_NAME, 'must be an environment variable name'),
  })
  .strict();

const policy = z
  .object({
    repeat: z.number().int().min(0).max(10).default(0),
    tiers: z.array(
      z
        .object({
          after: duration,
          notify: z
            .array(z.string().regex(TARGET, 'must be a Slack user id (U…), usergroup id (S…) or rotation:NAME'))
            .min(1, 'must name at least one person, usergroup or rotation'),
        })
        .strict(),
    ),
    webhook: webhook.optional(),
  })
  .strict();

const rotation = z
  .object({
    users: z.array(z.string().regex(USER, 'must be a Slack user id (U…)')).min(1, 'must list at least one person'),
    start: wallTime,
    zone: z.string().refine(isIanaZone, { message: 'is not an IANA time zone such as Europe/Berlin' }),
    length,
    overrides: z
      .array(z.object({ user: z.string().regex(USER, 'must be a Slack user id (U…)'), from: wallTime, to: wallTime }).strict())
      .default([]),
  })
  .strict();

const severity = z.enum(['1', '2', '3', '4']);

/** The `escalation:` block of firebreak.yml, with every cross-reference checked. */
export const escalationSchema = z
  .object({
    default_policy: z.string().optional(),
    by_severity: z.partialRecord(severity, z.string()).default({}),
    policies: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'policy names are letters, digits, - and _'), policy).default({}),
    rotations: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'rotation names are letters, digits, - and _'), rotation).default({}),
    webhook: webhook.optional(),
  })
  .strict()
  .superRefine((block, ctx) => {
    const known = (name: string): boolean => Object.hasOwn(block.policies, name);
    if (block.default_policy !== undefined && !known(block.default_policy)) {
      ctx.addIssue({ code: 'custom', path: ['default_policy'], message: `names "${block.default_policy}", which is not under escalation.policies` });
    }
    for (const [sev, name] of Object.entries(block.by_severity)) {
      if (!known(name)) ctx.addIssue({ code: 'custom', path: ['by_severity', sev], message: `names "${name}", which is not under escalation.policies` });
    }
    for (const [name, p] of Object.entries(block.policies)) {
      p.tiers.forEach((tier, i) => {
        const previous = p.tiers[i - 1];
        if (previous && tier.after <= previous.after) {
          ctx.addIssue({
            code: 'custom',
            path: ['policies', name, 'tiers', i, 'after'],
            message: `must be later than tier ${i - 1} (${formatAfter(previous.after)})`,
          });
        }
        tier.notify.forEach((target, j) => {
          const rot = target.startsWith('rotation:') ? target.slice('rotation:'.length) : null;
          if (rot !== null && !Object.hasOwn(block.rotations, rot)) {
            ctx.addIssue({ code: 'custom', path: ['policies', name, 'tiers', i, 'notify', j], message: `names rotation "${rot}", which is not under escalation.rotations` });
          }
        });
      });
      const last = p.tiers.at(-1);
      if (p.repeat > 0 && (last === undefined || last.after === 0)) {
        // A loop lasts as long as the last tier's `after`; with 0s every repeat would page at once.
        ctx.addIssue({ code: 'custom', path: ['policies', name, 'repeat'], message: "needs the last tier's after to be more than 0s" });
      }
    }
    for (const [name, r] of Object.entries(block.rotations)) {
      r.overrides.forEach((o, i) => {
        if (wallMs(o.to, r.zone) <= wallMs(o.from, r.zone)) {
          ctx.addIssue({ code: 'custom', path: ['rotations', name, 'overrides', i, 'to'], message: 'must be later than from' });
        }
      });
    }
  });

function formatAfter(ms: number): string {
  const s = ms / 1000;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  const text = `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${rest ? `${rest}s` : ''}`;
  return text || '0s';
}

/** The instant a wall clock names in `zone`; in an overlap the first, in a gap the shifted one. */
export function wallMs(wall: WallClock, zone: string): number {
  const [first] = wallClockToInstants(wall, zone);
  if (!first) throw new RangeError('no instant for wall clock');
  return first.instant;
}

type EscalationFile = z.output<typeof escalationSchema>;

const toWebhook = (w: EscalationFile['webhook']): WebhookSettings | null => (w ? { urlEnv: w.url_env, secretEnv: w.secret_env } : null);

/**
 * Typed settings from the parsed block. `problem` receives a setting that needs the environment
 * (a webhook variable that is not set), so the caller can stop start-up naming it.
 */
export function toEscalationSettings(
  file: EscalationFile,
  env: Readonly<Record<string, string | undefined>>,
  problem: (message: string) => never,
): EscalationSettings {
  const shared = toWebhook(file.webhook);
  const policies: Record<string, EscalationPolicy> = {};
  for (const [name, p] of Object.entries(file.policies)) {
    const hook = toWebhook(p.webhook) ?? shared;
    if (hook) {
      for (const variable of [hook.urlEnv, hook.secretEnv]) {
        if (!env[variable]?.trim()) problem(`${variable} is not set: escalation webhook for policy ${name} needs it`);
      }
    }
    policies[name] = { repeat: p.repeat, tiers: p.tiers.map((t) => ({ afterMs: t.after, notify: t.notify })), webhook: hook };
  }
  const rotations: Record<string, Rotation> = {};
  for (const [name, r] of Object.entries(file.rotations)) {
    rotations[name] = {
      users: r.users,
      start: r.start,
      zone: r.zone,
      lengthDays: r.length,
      overrides: r.overrides.map((o) => ({ user: o.user, fromMs: wallMs(o.from, r.zone), toMs: wallMs(o.to, r.zone) })),
    };
  }
  const bySeverity: EscalationSettings['bySeverity'] = {};
  for (const [sev, name] of Object.entries(file.by_severity)) bySeverity[Number(sev) as 1 | 2 | 3 | 4] = name;
  return { defaultPolicy: file.default_policy ?? Object.keys(policies)[0] ?? null, bySeverity, policies, rotations };
}

/** The policy an incident of `severity` starts on, or null when none is configured. */
export function policyFor(settings: EscalationSettings, severity: number): string | null {
  return settings.bySeverity[severity as 1 | 2 | 3 | 4] ?? settings.defaultPolicy;
}

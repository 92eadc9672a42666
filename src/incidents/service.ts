import { randomBytes } from 'node:crypto';
import { UserError, type CommandContext, type Reply } from '../common/context.js';
import { tagLogs, type Logger } from '../log.js';
import type { NewEffect } from '../outbox/model.js';
import { inviteEffect, postEffect } from '../outbox/slack-effects.js';
import { SlackApiError, slackErrorCode, type SlackGateway } from '../ports/slack.js';
import type { Queryable } from '../store/queryable.js';
import { escapeMrkdwn, mention } from '../text/mrkdwn.js';
import { formatDuration } from '../time/format.js';
import type { NewTimelineEvent } from '../timeline/model.js';
import type { UserDirectory } from '../users/directory.js';
import { baseChannelName, channelNameCandidates } from './channel-name.js';
import { cardEffect, topicEffect } from './effects.js';
import { severityLabel, type Incident, type Severity, type Status } from './model.js';
import type { IncidentStore } from './records.js';
import type { IncidentChange } from './repository.js';

export interface IncidentSettings {
  timezone: string;
  channelPrefix: string;
}

/** Where recorded changes leave the Slack effects they owe (the durable outbox). */
export interface EffectSink {
  add(db: Queryable, ...effects: NewEffect[]): Promise<void>;
  wake(lanes: Iterable<string>): Promise<void>;
}

/** What else happens when an incident opens or closes (escalation starts and stops, the postmortem). */
export interface IncidentHooks {
  opened?(db: Queryable, incident: Incident): Promise<void>;
  /** Once the opening has committed: work that must find it recorded (the first page's wake-up). */
  afterOpen?(incident: Incident): Promise<void>;
  closed?(db: Queryable, incident: Incident): Promise<void>;
  /** After a severity change is recorded (escalation moves to that severity's policy); idempotent. */
  severityChanged?(incident: Incident, at: Date): Promise<void>;
}

export interface IncidentDeps {
  store: IncidentStore;
  slack: Pick<SlackGateway, 'createChannel' | 'findChannelByName' | 'archiveChannel'>;
  users: Pick<UserDirectory, 'get'>;
  effects: EffectSink;
  settings: IncidentSettings;
  log: Logger;
  hooks?: IncidentHooks;
}

// Bounded so a workspace full of look-alike channels cannot keep one request busy for long.
const MAX_NAME_ATTEMPTS = 12;

/** Opening, changing and closing incidents: the rules, with Slack and PostgreSQL behind interfaces. */
export class IncidentService {
  constructor(private readonly deps: IncidentDeps) {}

  private get incidents(): IncidentStore['incidents'] {
    return this.deps.store.incidents;
  }

  private get events(): IncidentStore['events'] {
    return this.deps.store.events;
  }

  findByChannel(channelId: string): Promise<Incident | null> {
    return this.incidents.byChannel(channelId);
  }

  async byId(id: number): Promise<Incident> {
    const incident = await this.incidents.byId(id);
    if (!incident) throw new UserError(`There is no incident #${id}.`);
    tagLogs({ incident: incident.id });
    return incident;
  }

  /** The incident whose channel this is; elsewhere a UserError that says where to type it. */
  async forChannel(channelId: string): Promise<Incident> {
    const incident = await this.incidents.byChannel(channelId);
    if (!incident) {
      throw new UserError(
        'This channel is not an incident channel. Type this in the incident’s channel, or see `/incident list`.',
      );
    }
    tagLogs({ incident: incident.id });
    return incident;
  }

  /**
   * Opens an incident. Safe to run again for the same request after a crash at any line: the
   * row is keyed by the request, the channel by the name recorded before creating it.
   */
  async open(ctx: CommandContext, input: { title: string; severity: Severity }): Promise<Reply> {
    const { incident } = await this.incidents.create({
      teamId: ctx.teamId,
      title: input.title,
      severity: input.severity,
      openedBy: ctx.userId,
      openedAt: ctx.receivedAt,
      originChannelId: ctx.channelId || null,
      requestId: ctx.requestId,
    });
    tagLogs({ incident: incident.id });
    if (incident.state !== 'opening') return this.describeRedelivery(incident);

    let channel: { id: string; name: string };
    try {
      channel = await this.createChannel(incident);
    } catch (error) {
      // Slack may answer later: leave the incident opening, and the request is tried again.
      if (error instanceof SlackApiError && error.transient) throw error;
      const code = slackErrorCode(error);
      await this.incidents.markFailed(incident.id, `channel not created: ${code}`);
      throw new UserError(`Slack refused to create the incident channel (${code}), so no incident was opened. Try again.`);
    }

    const opened = await this.deps.store.transaction(async (tx) => {
      const attached = await tx.incidents.attachChannel(incident.id, channel.id, channel.name);
      await tx.events.add({
        incidentId: incident.id,
        occurredAt: ctx.receivedAt,
        kind: 'open',
        authorId: ctx.userId,
        text: `Incident opened (${severityLabel(input.severity)}): ${input.title}`,
        data: { severity: input.severity, channelId: channel.id },
        requestId: ctx.requestId,
      });
      await this.deps.effects.add(
        tx.db,
        inviteEffect(`invite:${ctx.requestId}`, channel.id, [ctx.userId], incident.id),
        topicEffect(attached),
        cardEffect(attached),
      );
      await this.deps.hooks?.opened?.(tx.db, attached);
      return attached;
    });
    await this.deps.effects.wake([channel.id]);
    // Only sooner: whatever it starts, a reconciler finds too if this process dies first.
    await this.deps.hooks?.afterOpen?.(opened).catch((error: unknown) =>
      this.deps.log.warn({ err: String(error) }, 'after-open work failed; its reconciler will catch up'),
    );
    return { text: `:rotating_light: Opened incident #${opened.id} (${severityLabel(opened.severity)}) in <#${channel.id}>.` };
  }

  /**
   * Finishes what crashes left: an incident stuck opening whose request will not run again gets
   * its channel (found by the name recorded before creating it) archived, and is marked failed.
   */
  async reconcileOpenings(olderThanMs: number): Promise<number> {
    const stuck = await this.incidents.abandonedOpenings(olderThanMs);
    for (const incident of stuck) {
      const channel = incident.channelName ? await this.deps.slack.findChannelByName(incident.channelName) : null;
      if (channel && !channel.isArchived) await this.deps.slack.archiveChannel(channel.id);
      await this.incidents.markFailed(incident.id, 'opening was interrupted and not finished');
      this.deps.log.warn({ incident: incident.id, channel: channel?.id }, 'abandoned incident opening cleaned up');
    }
    return stuck.length;
  }

  private describeRedelivery(incident: Incident): Reply {
    if (incident.channelId) return { text: `Incident #${incident.id} is open in <#${incident.channelId}>.` };
    return { text: `:warning: Incident #${incident.id} could not be opened (${incident.problems.join('; ')}). Try again.` };
  }

  private async createChannel(incident: Incident): Promise<{ id: string; name: string }> {
    // A run that crashed after Slack created the channel left its name here: take that channel.
    if (incident.channelName) {
      const existing = await this.deps.slack.findChannelByName(incident.channelName);
      if (existing && !existing.isArchived) return existing;
    }
    const base = baseChannelName(
      this.deps.settings.channelPrefix,
      incident.title,
      incident.openedAt,
      this.deps.settings.timezone,
    );
    const candidates = channelNameCandidates(base, incident.id, () => randomBytes(3).toString('hex'));
    for (let attempt = 1; ; attempt += 1) {
      const name = candidates.next().value as string;
      await this.incidents.intendChannelName(incident.id, name);
      try {
        return await this.deps.slack.createChannel(name);
      } catch (error) {
        if (slackErrorCode(error) !== 'name_taken' || attempt >= MAX_NAME_ATTEMPTS) throw error;
      }
    }
  }

  async setStatus(ctx: CommandContext, status: Status, text: string): Promise<Reply> {
    if (await this.events.hasRequest(ctx.requestId)) return recorded();
    const incident = await this.forChannel(ctx.channelId);
    if (incident.status === status && incident.state === 'open') {
      throw new UserError(`The status is already ${status}.`);
    }
    const note = text ? `: ${text}` : '';
    return this.change(ctx, incident, { kind: 'status', status }, (before) => ({
      event: { kind: 'status', text: `Status ${before.status} → ${status}${note}`, data: { from: before.status, to: status } },
      announce: `${mention(ctx.userId)} changed the status from *${before.status}* to *${status}*${escapeMrkdwn(note)}`,
    }));
  }

  async setSeverity(ctx: CommandContext, severity: Severity): Promise<Reply> {
    const incident = await this.forChannel(ctx.channelId);
    if (await this.events.hasRequest(ctx.requestId)) {
      // A re-run after a crash: the change is recorded, its follow-up may not have happened.
      await this.deps.hooks?.severityChanged?.(incident, ctx.receivedAt);
      return recorded();
    }
    if (incident.severity === severity && incident.state === 'open') {
      throw new UserError(`The severity is already ${severityLabel(severity)}.`);
    }
    return this.change(ctx, incident, { kind: 'severity', severity }, (before) => ({
      event: {
        kind: 'severity',
        text: `Severity ${severityLabel(before.severity)} → ${severityLabel(severity)}`,
        data: { from: before.severity, to: severity },
      },
      announce: `${mention(ctx.userId)} changed the severity from *${severityLabel(before.severity)}* to *${severityLabel(severity)}*`,
    }));
  }

  async setLead(ctx: CommandContext, userId: string): Promise<Reply> {
    if (await this.events.hasRequest(ctx.requestId)) return recorded();
    const incident = await this.forChannel(ctx.channelId);
    const user = await this.deps.users.get(userId);
    if (!user) throw new UserError(`${mention(userId)} is not a user of this workspace.`);
    if (user.deleted) throw new UserError(`${mention(userId)} is deactivated and cannot lead.`);
    if (user.isBot) throw new UserError(`${mention(userId)} is a bot; pick a person to lead.`);
    if (incident.leadUserId === userId && incident.state === 'open') {
      throw new UserError(`${mention(userId)} already leads this incident.`);
    }
    return this.change(ctx, incident, { kind: 'lead', userId }, (before) => ({
      event: { kind: 'lead', text: `Lead set to <@${userId}>`, data: { from: before.leadUserId, to: userId } },
      announce: `${mention(userId)} now leads this incident (set by ${mention(ctx.userId)})`,
      invite: userId,
    }));
  }

  async close(ctx: CommandContext, summary: string): Promise<Reply> {
    if (await this.events.hasRequest(ctx.requestId)) return recorded();
    const incident = await this.forChannel(ctx.channelId);
    const at = ctx.receivedAt;
    const took = formatDuration(at.getTime() - incident.openedAt.getTime());
    return this.change(ctx, incident, { kind: 'close', summary, at }, () => ({
      event: { kind: 'close', text: summary ? `Incident closed: ${summary}` : 'Incident closed', data: { summary } },
      announce: `:white_check_mark: ${mention(ctx.userId)} closed this incident after ${took}.${
        summary ? ` Summary: ${escapeMrkdwn(summary)}` : ''
      }`,
    }));
  }

  async list(ctx: CommandContext): Promise<Reply> {
    const open = await this.incidents.listOpen(ctx.teamId);
    if (open.length === 0) return { text: 'No open incidents. :tada:' };
    const now = ctx.receivedAt.getTime();
    const lines = open.map(
      (incident) =>
        `• *${severityLabel(incident.severity)}* <#${incident.channelId}> #${incident.id} ${escapeMrkdwn(incident.title)} · ${
          incident.status
        } · lead ${incident.leadUserId ? mention(incident.leadUserId) : 'none'} · open ${formatDuration(
          now - incident.openedAt.getTime(),
        )}`,
    );
    return { text: [`*${open.length} open incident${open.length === 1 ? '' : 's'}*`, ...lines].join('\n') };
  }

  /**
   * Records a change, its timeline event and the Slack effects it owes in one transaction; the
   * outbox shows it in Slack afterwards, however long Slack takes.
   */
  private async change(
    ctx: CommandContext,
    incident: Incident,
    change: IncidentChange,
    describe: (before: Incident) => {
      event: Pick<NewTimelineEvent, 'kind' | 'text' | 'data'>;
      announce: string;
      invite?: string;
    },
  ): Promise<Reply> {
    const changed = await this.deps.store.transaction(async (tx) => {
      const result = await tx.incidents.change(incident.id, change);
      if (!result) return null;
      const { before, after } = result;
      const description = describe(before);
      await tx.events.add({
        incidentId: incident.id,
        occurredAt: ctx.receivedAt,
        authorId: ctx.userId,
        requestId: ctx.requestId,
        ...description.event,
      });
      const channel = after.channelId!;
      const effects: NewEffect[] = [cardEffect(after)];
      if (change.kind !== 'lead') effects.push(topicEffect(after));
      effects.push(postEffect(`announce:${ctx.requestId}`, channel, { text: description.announce }, incident.id));
      if (description.invite) effects.push(inviteEffect(`invite:${ctx.requestId}`, channel, [description.invite], incident.id));
      await this.deps.effects.add(tx.db, ...effects);
      if (change.kind === 'close') await this.deps.hooks?.closed?.(tx.db, after);
      return after;
    });
    if (!changed) throw new UserError(`Incident #${incident.id} is closed; it cannot be changed any more.`);
    await this.deps.effects.wake([changed.channelId!]);
    if (change.kind === 'severity') await this.deps.hooks?.severityChanged?.(changed, ctx.receivedAt);
    return recorded();
  }
}

function recorded(): Reply {
  return { text: 'Recorded.' };
}

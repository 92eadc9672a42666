import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { UserError, type CommandContext, type Reply } from '../common/context.js';
import type { Logger } from '../log.js';
import { SlackApiError, type SlackGateway } from '../ports/slack.js';
import { withTransaction } from '../store/transaction.js';
import { escapeMrkdwn, mention } from '../text/mrkdwn.js';
import { formatDuration } from '../time/format.js';
import { TimelineRepository } from '../timeline/repository.js';
import type { NewTimelineEvent } from '../timeline/model.js';
import type { UserDirectory } from '../users/directory.js';
import { incidentCard, incidentTopic } from './card.js';
import { baseChannelName, channelNameCandidates } from './channel-name.js';
import { severityLabel, type Incident, type Severity, type Status } from './model.js';
import { IncidentRepository, type IncidentChange } from './repository.js';

export interface IncidentSettings {
  timezone: string;
  channelPrefix: string;
}

export interface IncidentDeps {
  pool: pg.Pool;
  slack: SlackGateway;
  users: UserDirectory;
  settings: IncidentSettings;
  log: Logger;
}

// Bounded so a workspace full of look-alike channels cannot keep one request busy for long.
const MAX_NAME_ATTEMPTS = 12;

function slackCode(error: unknown): string {
  return error instanceof SlackApiError ? error.code : error instanceof Error ? error.message : String(error);
}

/**
 * Runs a Slack step that comes after the record is written: its failure is told to the person
 * (as a line in `problems`) but never undoes what was recorded.
 */
async function attempt(problems: string[], what: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    problems.push(`could not ${what} (${slackCode(error)})`);
  }
}

/** Opening, changing and closing incidents: the rules, with Slack and PostgreSQL behind interfaces. */
export class IncidentService {
  private readonly incidents: IncidentRepository;

  constructor(private readonly deps: IncidentDeps) {
    this.incidents = new IncidentRepository(deps.pool);
  }

  findByChannel(channelId: string): Promise<Incident | null> {
    return this.incidents.byChannel(channelId);
  }

  async byId(id: number): Promise<Incident> {
    const incident = await this.incidents.byId(id);
    if (!incident) throw new UserError(`There is no incident #${id}.`);
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
    return incident;
  }

  async open(ctx: CommandContext, input: { title: string; severity: Severity }): Promise<Reply> {
    const { incident, created } = await this.incidents.create({
      teamId: ctx.teamId,
      title: input.title,
      severity: input.severity,
      openedBy: ctx.userId,
      openedAt: ctx.receivedAt,
      originChannelId: ctx.channelId || null,
      requestId: ctx.requestId,
    });
    if (!created) return this.describeRedelivery(incident);

    let channel: { id: string; name: string };
    try {
      channel = await this.createChannel(incident);
    } catch (error) {
      const code = slackCode(error);
      await this.incidents.markFailed(incident.id, `channel not created: ${code}`);
      throw new UserError(`Slack refused to create the incident channel (${code}), so no incident was opened. Try again.`);
    }

    let opened: Incident;
    try {
      opened = await withTransaction(this.deps.pool, async (client) => {
        const attached = await new IncidentRepository(client).attachChannel(incident.id, channel.id, channel.name);
        await new TimelineRepository(client).add({
          incidentId: incident.id,
          occurredAt: ctx.receivedAt,
          kind: 'open',
          authorId: ctx.userId,
          text: `Incident opened (${severityLabel(input.severity)}): ${input.title}`,
          data: { severity: input.severity, channelId: channel.id },
        });
        return attached;
      });
    } catch (error) {
      // Without a record the channel would dangle: take it back before reporting the failure.
      await this.deps.slack.archiveChannel(channel.id).catch(() => undefined);
      throw error;
    }

    const problems: string[] = [];
    await attempt(problems, 'invite you', () => this.deps.slack.invite(channel.id, [ctx.userId]));
    await attempt(problems, 'set the topic', () => this.deps.slack.setTopic(channel.id, incidentTopic(opened)));
    await attempt(problems, 'post the incident card', async () => {
      const { ts } = await this.deps.slack.postMessage(channel.id, incidentCard(opened, this.deps.settings.timezone));
      await this.incidents.setCardTs(opened.id, ts);
    });
    if (problems.length > 0) {
      await this.incidents.addProblems(opened.id, problems);
      this.deps.log.warn({ incident: opened.id, problems }, 'incident opened with problems');
    }

    const lines = [`:rotating_light: Opened incident #${opened.id} (${severityLabel(opened.severity)}) in <#${channel.id}>.`];
    if (problems.length > 0) lines.push(`:warning: The incident is recorded, but Firebreak ${problems.join('; ')}.`);
    return { text: lines.join('\n') };
  }

  private describeRedelivery(incident: Incident): Reply {
    if (incident.channelId) return { text: `Incident #${incident.id} is open in <#${incident.channelId}>.` };
    if (incident.state === 'failed') {
      return { text: `:warning: Incident #${incident.id} could not be opened (${incident.problems.join('; ')}). Try again.` };
    }
    return { text: `Incident #${incident.id} is still being opened.` };
  }

  private async createChannel(incident: Incident): Promise<{ id: string; name: string }> {
    const base = baseChannelName(
      this.deps.settings.channelPrefix,
      incident.title,
      incident.openedAt,
      this.deps.settings.timezone,
    );
    const candidates = channelNameCandidates(base, incident.id, () => randomBytes(3).toString('hex'));
    for (let attempt = 1; ; attempt += 1) {
      const name = candidates.next().value as string;
      try {
        return await this.deps.slack.createChannel(name);
      } catch (error) {
        if (slackCode(error) !== 'name_taken' || attempt >= MAX_NAME_ATTEMPTS) throw error;
      }
    }
  }

  async setStatus(ctx: CommandContext, status: Status, text: string): Promise<Reply> {
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
    const incident = await this.forChannel(ctx.channelId);
    const user = await this.deps.users.get(userId);
    if (!user) throw new UserError(`${mention(userId)} is not a user of this workspace.`);
    if (user.deleted) throw new UserError(`${mention(userId)} is deactivated and cannot lead.`);
    if (user.isBot) throw new UserError(`${mention(userId)} is a bot; pick a person to lead.`);
    if (incident.leadUserId === userId && incident.state === 'open') {
      throw new UserError(`${mention(userId)} already leads this incident.`);
    }
    const reply = await this.change(ctx, incident, { kind: 'lead', userId }, (before) => ({
      event: { kind: 'lead', text: `Lead set to <@${userId}>`, data: { from: before.leadUserId, to: userId } },
      announce: `${mention(userId)} now leads this incident (set by ${mention(ctx.userId)})`,
    }));
    await this.deps.slack.invite(incident.channelId!, [userId]).catch(() => undefined);
    return reply;
  }

  async close(ctx: CommandContext, summary: string): Promise<Reply> {
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
   * Records a change and its timeline event together, then shows it in Slack. A Slack failure after
   * the record is reported to the person but never undoes what was recorded.
   */
  private async change(
    ctx: CommandContext,
    incident: Incident,
    change: IncidentChange,
    describe: (before: Incident) => {
      event: Pick<NewTimelineEvent, 'kind' | 'text' | 'data'>;
      announce: string;
    },
  ): Promise<Reply> {
    const result = await withTransaction(this.deps.pool, async (client) => {
      const changed = await new IncidentRepository(client).change(incident.id, change);
      if (!changed) return null;
      const description = describe(changed.before);
      await new TimelineRepository(client).add({
        incidentId: incident.id,
        occurredAt: ctx.receivedAt,
        authorId: ctx.userId,
        ...description.event,
      });
      return { ...changed, announce: description.announce };
    });
    if (!result) throw new UserError(`Incident #${incident.id} is closed; it cannot be changed any more.`);

    const problems: string[] = [];
    const channelId = result.after.channelId!;
    await attempt(problems, 'update the card', () => this.refreshCard(result.after));
    if (change.kind === 'status' || change.kind === 'severity' || change.kind === 'close') {
      await attempt(problems, 'set the topic', () => this.deps.slack.setTopic(channelId, incidentTopic(result.after)));
    }
    await attempt(problems, 'post in the channel', () => this.deps.slack.postMessage(channelId, { text: result.announce }));
    return { text: problems.length ? `Recorded. :warning: Firebreak ${problems.join('; ')}.` : 'Recorded.' };
  }

  private async refreshCard(incident: Incident): Promise<void> {
    const card = incidentCard(incident, this.deps.settings.timezone);
    if (incident.cardTs) {
      await this.deps.slack.updateMessage(incident.channelId!, incident.cardTs, card);
      return;
    }
    const { ts } = await this.deps.slack.postMessage(incident.channelId!, card);
    await this.incidents.setCardTs(incident.id, ts);
  }
}

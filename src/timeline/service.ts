import { UserError, type CommandContext, type Reply } from '../common/context.js';
import type { Logger } from '../log.js';
import type { NewEffect } from '../outbox/model.js';
import { postEffect } from '../outbox/slack-effects.js';
import type { ChannelMessage, SlackGateway } from '../ports/slack.js';
import type { Queryable } from '../store/queryable.js';
import { escapeMrkdwn, mention } from '../text/mrkdwn.js';
import { formatInstant, slackDateToken } from '../time/format.js';
import { parseLeadingTime, type ParsedTime } from '../time/parse.js';
import type { UserDirectory } from '../users/directory.js';
import { tsToDate } from './messages.js';
import type { IncidentLookup, TimelineIncident } from './model.js';
import type { TimelineStore } from './records.js';
import { TIMELINE_PAGE_SIZE, pageOf, timelinePage } from './view.js';

export interface TimelineSettings {
  timezone: string;
  zoneAliases: Readonly<Record<string, string>>;
}

export interface TimelineDeps {
  store: TimelineStore;
  slack: Pick<SlackGateway, 'fetchMessage'>;
  users: Pick<UserDirectory, 'zoneOf'>;
  incidents: IncidentLookup;
  effects: { add(db: Queryable, ...effects: NewEffect[]): Promise<void>; wake(lanes: Iterable<string>): Promise<void> };
  settings: TimelineSettings;
  log: Logger;
}

const ZONE_SOURCE: Record<ParsedTime['zoneSource'], string> = {
  explicit: 'as typed',
  alias: 'from the abbreviation you typed',
  user: 'your Slack time zone',
  team: 'the team time zone (Slack has none for you)',
};

/** The incident timeline: notes, pins, captured messages, and reading it back in anyone's zone. */
export class TimelineService {
  constructor(private readonly deps: TimelineDeps) {}

  private get events(): TimelineStore['events'] {
    return this.deps.store.events;
  }

  private get messages(): TimelineStore['messages'] {
    return this.deps.store.messages;
  }

  async addNote(ctx: CommandContext, incident: TimelineIncident, input: string): Promise<Reply> {
    const userZone = await this.deps.users.zoneOf(ctx.userId);
    const parsed = parseLeadingTime(input, {
      now: ctx.receivedAt,
      userZone,
      teamZone: this.deps.settings.timezone,
      aliases: this.deps.settings.zoneAliases,
    });
    if (!parsed.ok) throw new UserError(parsed.error, parsed.hint);
    const { time, rest } = parsed;
    const occurredAt = time?.instant ?? ctx.receivedAt;
    const zone = time?.zone ?? userZone ?? this.deps.settings.timezone;
    const when = slackDateToken(occurredAt, zone);
    const channel = incident.channelId!;
    await this.deps.store.transaction(async (tx) => {
      await tx.events.add({
        incidentId: incident.id,
        occurredAt,
        kind: 'note',
        authorId: ctx.userId,
        text: rest,
        typedTime: time?.typed ?? null,
        typedZone: time?.zoneToken ?? null,
        zoneUsed: time?.zone ?? null,
        warnings: time?.warnings ?? [],
        requestId: ctx.requestId,
      });
      await this.deps.effects.add(
        tx.db,
        postEffect(`note:${ctx.requestId}`, channel, { text: `:memo: ${mention(ctx.userId)} noted (${when}): ${escapeMrkdwn(rest)}` }, incident.id),
      );
    });
    await this.deps.effects.wake([channel]);
    const lines = [
      time
        ? `Added to the timeline at ${when}: ${formatInstant(occurredAt, zone)}, read in ${zone} (${ZONE_SOURCE[time.zoneSource]}).`
        : `Added to the timeline at ${when}.`,
      ...(time?.warnings ?? []).map((warning) => `:warning: ${warning}`),
    ];
    return { text: lines.join('\n') };
  }

  /** The timeline in the viewer's own Slack zone, opening on its latest page. */
  async show(ctx: CommandContext, incident: TimelineIncident): Promise<Reply> {
    return this.render(incident, ctx.userId);
  }

  async showPage(incidentId: number, viewerId: string, page: number): Promise<Reply> {
    const incident = await this.deps.incidents.byId(incidentId);
    if (!incident) throw new UserError(`There is no incident #${incidentId}.`);
    return this.render(incident, viewerId, page);
  }

  private async render(incident: TimelineIncident, viewerId: string, page?: number): Promise<Reply> {
    const total = await this.events.count(incident.id);
    const { current } = pageOf(total, page);
    const slice = await this.events.page(incident.id, current * TIMELINE_PAGE_SIZE, TIMELINE_PAGE_SIZE);
    const zone = (await this.deps.users.zoneOf(viewerId)) ?? this.deps.settings.timezone;
    return timelinePage(incident, slice, total, zone, current);
  }

  /** A live message from an incident channel, kept for the timeline and the postmortem. */
  async captureMessage(channelId: string, message: ChannelMessage): Promise<void> {
    if (!(await this.deps.incidents.byChannel(channelId))) return;
    await this.messages.record(channelId, message);
  }

  async captureEdit(channelId: string, message: ChannelMessage, editedAt: Date): Promise<void> {
    if (!(await this.deps.incidents.byChannel(channelId))) return;
    await this.messages.edit(channelId, message, editedAt);
  }

  async captureDeletion(channelId: string, ts: string): Promise<void> {
    if (!(await this.deps.incidents.byChannel(channelId))) return;
    await this.messages.remove(channelId, ts);
  }

  /**
   * A pinned (or :pushpin:-reacted) message becomes an event at the time it was posted, once,
   * however many times Slack delivers the event or people react.
   */
  async recordPin(channelId: string, ts: string, pinnedBy: string, known?: ChannelMessage): Promise<boolean> {
    const incident = await this.deps.incidents.byChannel(channelId);
    if (!incident) return false;
    const message =
      known ?? (await this.messages.find(channelId, ts)) ?? (await this.deps.slack.fetchMessage(channelId, ts));
    if (!message) {
      this.deps.log.info({ channelId, ts }, 'pinned message is gone; nothing recorded');
      return false;
    }
    const event = await this.events.add({
      incidentId: incident.id,
      occurredAt: tsToDate(ts),
      kind: 'pinned',
      authorId: message.userId,
      text: message.text,
      sourceTs: ts,
      data: { pinnedBy },
    });
    return event !== null;
  }
}

import type pg from 'pg';
import type { CommandContext, Reply } from '../common/context.js';
import type { Incident } from '../incidents/model.js';
import { IncidentRepository } from '../incidents/repository.js';
import type { Logger } from '../log.js';
import type { DeliveryContext, Effect, NewEffect } from '../outbox/model.js';
import type { Queryable } from '../store/queryable.js';
import { withTransaction } from '../store/transaction.js';
import { escapeMrkdwn } from '../text/mrkdwn.js';
import { formatDuration } from '../time/format.js';
import { MessageLog } from '../timeline/messages.js';
import { TimelineRepository } from '../timeline/repository.js';
import { changedSections } from './changes.js';
import { backfillChannel } from './collect.js';
import { composePostmortem, lockEvidenceOf } from './compose.js';
import { keyDurations, phasesOf } from './phases.js';
import { PostmortemRepository, type StoredPostmortem } from './repository.js';

export const PUBLISH_POSTMORTEM = 'postmortem.publish';

export interface PostmortemSettings {
  timezone: string;
  clock: '24h' | '12h';
}

export interface PostmortemDeps {
  pool: pg.Pool;
  effects: { add(db: Queryable, ...effects: NewEffect[]): Promise<void>; wake(lanes: Iterable<string>): Promise<void> };
  settings: PostmortemSettings;
  log: Logger;
}

interface Progress {
  backfilled?: boolean;
  fileId?: string;
  shared?: boolean;
}

function publishEffect(incident: Incident, requestKey: string, requestedBy: string | null): NewEffect {
  return { lane: incident.channelId!, kind: PUBLISH_POSTMORTEM, key: requestKey, incidentId: incident.id, payload: { requestedBy } };
}

/**
 * The postmortem draft: compiled and published as queued work (an outbox effect) when an incident
 * closes or someone asks again, so a crash at any step still publishes each version once.
 */
export class PostmortemService {
  constructor(private readonly deps: PostmortemDeps) {}

  /** In the close's own transaction: the draft is owed exactly when the close is recorded. */
  async owedOnClose(db: Queryable, incident: Incident): Promise<void> {
    await this.deps.effects.add(db, publishEffect(incident, `postmortem:${incident.id}:close`, null));
  }

  /** `/incident postmortem`: compile again (after late notes) as a new version. */
  async request(ctx: CommandContext, incident: Incident): Promise<Reply> {
    await withTransaction(this.deps.pool, (client) =>
      this.deps.effects.add(client, publishEffect(incident, `postmortem:${ctx.requestId}`, ctx.userId)),
    );
    await this.deps.effects.wake([incident.channelId!]);
    return { text: 'Compiling the postmortem draft again; the new version will be posted in this channel with what changed.' };
  }

  /** The outbox handler: backfill, compose (once per request), upload, share, announce. */
  async publish(effect: Effect, ctx: DeliveryContext): Promise<void> {
    const incident = await new IncidentRepository(this.deps.pool).byId(effect.incidentId!);
    if (!incident?.channelId) return;
    const channel = incident.channelId;
    const progress: Progress = { ...(effect.progress as Progress) };
    const bot = await ctx.slack.identity();
    if (!progress.backfilled) {
      const result = await backfillChannel({ slack: ctx.slack, db: this.deps.pool }, channel, String(incident.openedAt.getTime() / 1000), bot);
      if (result.stored > 0) this.deps.log.info({ incident: incident.id, ...result }, 'backfilled messages the live capture missed');
      progress.backfilled = true;
      await ctx.saveProgress({ ...progress });
    }

    const drafts = new PostmortemRepository(this.deps.pool);
    const events = await new TimelineRepository(this.deps.pool).list(incident.id);
    const messages = await new MessageLog(this.deps.pool).list(channel);
    const stored = await drafts.storeOnce(
      incident.id,
      effect.key,
      (version) => ({
        markdown: composePostmortem({
          incident,
          events,
          messages,
          zone: this.deps.settings.timezone,
          clock: this.deps.settings.clock,
          workspaceUrl: bot.url || null,
          names: {},
          version,
          generatedAt: new Date(),
        }),
        summary: { events: events.length, messages: messages.length },
      }),
      typeof effect.payload['requestedBy'] === 'string' ? effect.payload['requestedBy'] : null,
    );

    const filename = `postmortem-incident-${incident.id}-v${stored.version}.md`;
    if (!progress.fileId) {
      progress.fileId = await ctx.slack.uploadFile(filename, stored.markdown);
      await ctx.saveProgress({ ...progress });
    }
    if (!progress.shared) {
      if (!(await ctx.slack.fileShared(progress.fileId))) {
        await ctx.slack.shareFile(progress.fileId, channel, filename, `:page_facing_up: Postmortem draft v${stored.version} for incident #${incident.id}`);
      }
      progress.shared = true;
      await ctx.saveProgress({ ...progress });
      await drafts.setFile(incident.id, stored.version, progress.fileId);
    }
    const previous = await drafts.latestBefore(incident.id, stored.version);
    const { ts } = await ctx.postOnce(channel, { text: this.summaryText(incident, events, stored, previous) });
    await drafts.setPublished(incident.id, stored.version, ts);
  }

  private summaryText(
    incident: Incident,
    events: Awaited<ReturnType<TimelineRepository['list']>>,
    stored: StoredPostmortem,
    previous: StoredPostmortem | null,
  ): string {
    const durations = keyDurations(phasesOf(incident, events));
    const span = (ms: number | null) => (ms === null ? 'n/a' : formatDuration(ms));
    const lines = [
      `*Postmortem draft v${stored.version}* for incident #${incident.id}: ${escapeMrkdwn(incident.title)}`,
      `Time to acknowledge ${span(durations.acknowledge)} · to mitigate ${span(durations.mitigate)} · to resolve ${span(durations.resolve)}`,
    ];
    const lastLocks = events.map(lockEvidenceOf).filter((e) => e !== null).at(-1);
    const root = lastLocks?.roots[0];
    if (root) {
      lines.push(
        `Root blocker: pid ${root.pid ?? '?'} (${escapeMrkdwn(root.user ?? 'unknown user')}) ${escapeMrkdwn(root.state ?? '')}${
          root.inStateMs !== null ? ` for ${formatDuration(root.inStateMs)}` : ''
        }, blocking ${root.blocksTotal}`,
      );
    }
    if (previous) {
      const changed = changedSections(previous.markdown, stored.markdown);
      const added = stored.summary.events - previous.summary.events;
      lines.push(
        changed.length === 0
          ? `Nothing changed since v${previous.version}.`
          : `Changed since v${previous.version}: ${changed.join(', ')}${added > 0 ? ` (${added} new timeline event${added === 1 ? '' : 's'})` : ''}.`,
      );
    }
    return lines.join('\n');
  }
}

import { UserError, type CommandContext, type Reply } from '../common/context.js';
import { tagLogs } from '../log.js';
import type { NewEffect } from '../outbox/model.js';
import { postEffect } from '../outbox/slack-effects.js';
import type { SlackMessage } from '../ports/slack.js';
import type { Queryable } from '../store/queryable.js';
import { escapeMrkdwn, mention } from '../text/mrkdwn.js';
import type { IncidentLookup, TimelineIncident } from '../timeline/model.js';
import type { ActionOutcome, LockAction } from './actions.js';
import { LOCKS_USAGE, locksHelp, parseLocksCommand } from './command.js';
import { detailFileEffect } from './detail-file.js';
import type { LocksStore } from './records.js';
import { CANCEL_ACTION, snapshotText, TERMINATE_ACTION } from './render.js';
import { parseLockButton, type LocksInspection, type LocksService } from './service.js';
import type { LocksWatch } from './watch.js';

export interface LocksFlowDeps {
  store: Pick<LocksStore, 'transaction'>;
  locks: Pick<LocksService, 'databaseNames' | 'inspect' | 'act'>;
  watch: Pick<LocksWatch, 'start' | 'stop'>;
  incidents: Pick<IncidentLookup, 'byChannel'>;
  effects: { add(db: Queryable, ...effects: NewEffect[]): Promise<void>; wake(lanes: Iterable<string>): Promise<void> };
}

/** A button click, as the Slack edge parsed it. */
export interface LockClick {
  actionId: string;
  value: string;
  userId: string;
  channelId: string;
  requestId: string;
  receivedAt: Date;
}

function refusal(outcome: Exclude<ActionOutcome, { kind: 'done' }>): string {
  switch (outcome.kind) {
    case 'refused':
      return `:no_entry: ${outcome.why}`;
    case 'gone':
      return `:no_entry: pid ${outcome.pid} is not the session that was shown any more (it ended, or its pid belongs to another session now): nothing was done.`;
    case 'no-longer-root':
      return `:no_entry: ${outcome.why}: nothing was done. Type \`/locks\` for the current picture.`;
  }
}

/**
 * /locks in Slack terms, without Slack: posts go through the outbox, in the same transaction as
 * the timeline evidence when the channel is an incident's.
 */
export class LocksFlow {
  constructor(private readonly deps: LocksFlowDeps) {}

  /** Answers in the ack what needs no database: help and typos. */
  check(text: string): Reply | null {
    try {
      const command = parseLocksCommand(text);
      return command.kind === 'help' ? { text: locksHelp(this.deps.locks.databaseNames()) } : null;
    } catch (error) {
      if (error instanceof UserError) return { text: `:warning: ${error.message}\nUsage: ${error.usage ?? LOCKS_USAGE}` };
      throw error;
    }
  }

  async command(ctx: CommandContext, text: string): Promise<Reply> {
    const command = parseLocksCommand(text);
    switch (command.kind) {
      case 'help':
        return { text: locksHelp(this.deps.locks.databaseNames()) };
      case 'watch':
        return this.deps.watch.start(ctx, command.database);
      case 'watch-stop':
        return this.deps.watch.stop(ctx);
      case 'inspect': {
        const inspection = await this.deps.locks.inspect(command.database);
        const incident = await this.deps.incidents.byChannel(ctx.channelId);
        if (incident) tagLogs({ incident: incident.id });
        await this.publish(ctx.channelId, incident, `locks:${ctx.requestId}`, [inspection.rendered.message], {
          inspection,
          requestId: ctx.requestId,
          userId: ctx.userId,
          at: ctx.receivedAt,
          text: null,
        });
        return {
          text:
            inspection.diagnosis.kind === 'ok'
              ? `Posted the lock picture of ${inspection.database} in this channel${incident ? ' and added it to the timeline' : ''}.`
              : `Could not inspect ${inspection.database}; the reason is posted in this channel.`,
        };
      }
    }
  }

  async click(click: LockClick): Promise<Reply> {
    const value = parseLockButton(click.value);
    const action: LockAction | null =
      click.actionId === TERMINATE_ACTION ? 'terminate' : click.actionId === CANCEL_ACTION ? 'cancel' : null;
    if (value === null || action === null) return { text: 'That button is out of date; type `/locks` again.' };
    const outcome = await this.deps.locks.act(click.userId, action, value.pid, value.backendStart, value.db);
    if (outcome.kind !== 'done') return { text: refusal(outcome) };

    const did = action === 'cancel' ? `cancelled the query of pid ${value.pid}` : `terminated pid ${value.pid}`;
    const line = `${mention(click.userId)} ${did} on ${escapeMrkdwn(value.db)}.`;
    const after = await this.deps.locks.inspect(value.db);
    const incident = await this.deps.incidents.byChannel(click.channelId);
    if (incident) tagLogs({ incident: incident.id });
    await this.publish(
      click.channelId,
      incident,
      `locks-act:${click.requestId}`,
      [{ text: `:octagonal_sign: ${line} The picture after it:` }, after.rendered.message],
      { inspection: after, requestId: click.requestId, userId: click.userId, at: click.receivedAt, text: `${click.userId} ${did} on ${value.db}.` },
    );
    return { text: `Done: ${did}. The new picture is posted in the channel.` };
  }

  private async publish(
    channelId: string,
    incident: TimelineIncident | null,
    key: string,
    messages: SlackMessage[],
    evidence: { inspection: LocksInspection; requestId: string; userId: string; at: Date; text: string | null },
  ): Promise<void> {
    const { snapshot } = evidence.inspection;
    await this.deps.store.transaction(async (tx) => {
      if (incident && (snapshot || evidence.text)) {
        await tx.events.add({
          incidentId: incident.id,
          occurredAt: evidence.at,
          kind: 'lock_snapshot',
          authorId: evidence.userId,
          text: [evidence.text, snapshot ? snapshotText(snapshot) : null].filter((t) => t !== null).join(' '),
          data: snapshot ? { snapshot: { ...snapshot } } : {},
          requestId: evidence.requestId,
        });
      }
      const incidentId = incident?.id ?? null;
      const file = detailFileEffect(`${key}:detail`, channelId, evidence.inspection, incidentId);
      await this.deps.effects.add(
        tx.db,
        ...messages.map((message, i) => postEffect(i === 0 ? key : `${key}:${i}`, channelId, message, incidentId)),
        ...(file ? [file] : []),
      );
    });
    await this.deps.effects.wake([channelId]);
  }
}

import { UserError, type CommandContext, type Reply } from '../common/context.js';
import type { NewEffect } from '../outbox/model.js';
import { postEffect } from '../outbox/slack-effects.js';
import type { Queryable } from '../store/queryable.js';
import { escapeMrkdwn } from '../text/mrkdwn.js';
import type { IncidentLookup } from '../timeline/model.js';
import { detailFileEffect } from './detail-file.js';
import type { LocksStore } from './records.js';
import { pictureKey, snapshotText } from './render.js';
import type { LocksService } from './service.js';

export const WATCH_EVERY_MS = 15_000;

export interface LocksWatchDeps {
  store: LocksStore;
  locks: Pick<LocksService, 'resolve' | 'databaseNames' | 'inspect'>;
  incidents: Pick<IncidentLookup, 'byChannel'>;
  effects: { add(db: Queryable, ...effects: NewEffect[]): Promise<void>; wake(lanes: Iterable<string>): Promise<void> };
}

/**
 * `/locks watch`: the watchers live in PostgreSQL, and one scheduled job (the same scheduler id
 * from every replica) samples them all, so a watch survives restarts and runs once however many
 * replicas there are. A post is made only when the roots or their waiter counts change, claimed
 * by compare-and-set on the last picture so two overlapping runs cannot both post it.
 */
export class LocksWatch {
  constructor(private readonly deps: LocksWatchDeps) {}

  async start(ctx: CommandContext, database: string | undefined): Promise<Reply> {
    const incident = await this.deps.incidents.byChannel(ctx.channelId);
    if (incident === null) throw new UserError('`/locks watch` works in an incident channel: it runs while the incident is open.');
    const name = this.deps.locks.resolve(database);
    await this.deps.store.watches.start(incident.id, name, ctx.channelId, ctx.userId);
    return { text: `Watching ${escapeMrkdwn(name)} every ${WATCH_EVERY_MS / 1000} s while this incident is open; a new picture is posted only when it changes. \`/locks watch stop\` stops it.` };
  }

  async stop(ctx: CommandContext): Promise<Reply> {
    const incident = await this.deps.incidents.byChannel(ctx.channelId);
    if (incident === null) throw new UserError('`/locks watch stop` works in the incident channel of the watch.');
    const stopped = await this.deps.store.watches.stop(incident.id);
    return { text: stopped ? 'Stopped watching locks for this incident.' : 'Nothing was being watched for this incident.' };
  }

  /** One sampling round over every active watch; watches of closed incidents stop here. */
  async tick(at: Date): Promise<void> {
    await this.deps.store.watches.stopClosed();
    for (const watch of await this.deps.store.watches.running()) {
      if (!this.deps.locks.databaseNames().includes(watch.database)) continue;
      const inspection = await this.deps.locks.inspect(watch.database);
      const key = inspection.snapshot ? pictureKey(inspection.snapshot) : `failed:${inspection.diagnosis.kind}`;
      if (key === watch.lastKey) continue;
      const posted = await this.deps.store.transaction(async (tx) => {
        if (!(await tx.watches.claim(watch, key))) return false;
        const { incidentId } = watch;
        const eventKey = `locks-watch:${incidentId}:${watch.database}:${at.getTime()}`;
        if (inspection.snapshot) {
          await tx.events.add({
            incidentId,
            occurredAt: at,
            kind: 'lock_snapshot',
            authorId: null,
            text: `Watch: ${snapshotText(inspection.snapshot)}`,
            data: { snapshot: { ...inspection.snapshot }, watch: true },
            requestId: eventKey,
          });
        }
        const file = detailFileEffect(`${eventKey}:detail`, watch.channelId, inspection, incidentId);
        await this.deps.effects.add(
          tx.db,
          postEffect(eventKey, watch.channelId, inspection.rendered.message, incidentId),
          ...(file ? [file] : []),
        );
        return true;
      });
      if (posted) await this.deps.effects.wake([watch.channelId]);
    }
  }
}

import type pg from 'pg';
import { UserError, type CommandContext, type Reply } from '../common/context.js';
import type { NewEffect } from '../outbox/model.js';
import { postEffect } from '../outbox/slack-effects.js';
import type { Queryable } from '../store/queryable.js';
import { withTransaction } from '../store/transaction.js';
import { escapeMrkdwn } from '../text/mrkdwn.js';
import type { IncidentLookup } from '../timeline/model.js';
import { TimelineRepository } from '../timeline/repository.js';
import { detailFileEffect } from './detail-file.js';
import { pictureKey, snapshotText } from './render.js';
import type { LocksService } from './service.js';

export const WATCH_EVERY_MS = 15_000;

export interface LocksWatchDeps {
  pool: pg.Pool;
  locks: LocksService;
  incidents: Pick<IncidentLookup, 'byChannel'>;
  effects: { add(db: Queryable, ...effects: NewEffect[]): Promise<void>; wake(lanes: Iterable<string>): Promise<void> };
}

interface WatchRow {
  incident_id: string;
  database: string;
  channel_id: string;
  last_key: string | null;
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
    await this.deps.pool.query(
      `INSERT INTO locks_watches (incident_id, database, channel_id, started_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (incident_id, database) DO UPDATE SET stopped_at = NULL, last_key = NULL, started_by = $4, started_at = now()`,
      [incident.id, name, ctx.channelId, ctx.userId],
    );
    return { text: `Watching ${escapeMrkdwn(name)} every ${WATCH_EVERY_MS / 1000} s while this incident is open; a new picture is posted only when it changes. \`/locks watch stop\` stops it.` };
  }

  async stop(ctx: CommandContext): Promise<Reply> {
    const incident = await this.deps.incidents.byChannel(ctx.channelId);
    if (incident === null) throw new UserError('`/locks watch stop` works in the incident channel of the watch.');
    const { rowCount } = await this.deps.pool.query(
      'UPDATE locks_watches SET stopped_at = now() WHERE incident_id = $1 AND stopped_at IS NULL',
      [incident.id],
    );
    return { text: rowCount ? 'Stopped watching locks for this incident.' : 'Nothing was being watched for this incident.' };
  }

  /** One sampling round over every active watch; watches of closed incidents stop here. */
  async tick(at: Date): Promise<void> {
    await this.deps.pool.query(
      `UPDATE locks_watches w SET stopped_at = now() FROM incidents i
       WHERE i.id = w.incident_id AND w.stopped_at IS NULL AND i.state <> 'open'`,
    );
    const { rows } = await this.deps.pool.query<WatchRow>(
      'SELECT incident_id, database, channel_id, last_key FROM locks_watches WHERE stopped_at IS NULL',
    );
    for (const watch of rows) {
      if (!this.deps.locks.databaseNames().includes(watch.database)) continue;
      const inspection = await this.deps.locks.inspect(watch.database);
      const key = inspection.snapshot ? pictureKey(inspection.snapshot) : `failed:${inspection.diagnosis.kind}`;
      if (key === watch.last_key) continue;
      const posted = await withTransaction(this.deps.pool, async (client) => {
        const claimed = await client.query(
          `UPDATE locks_watches SET last_key = $3
           WHERE incident_id = $1 AND database = $2 AND stopped_at IS NULL AND last_key IS NOT DISTINCT FROM $4`,
          [watch.incident_id, watch.database, key, watch.last_key],
        );
        if (claimed.rowCount === 0) return false;
        const incidentId = Number(watch.incident_id);
        const eventKey = `locks-watch:${incidentId}:${watch.database}:${at.getTime()}`;
        if (inspection.snapshot) {
          await new TimelineRepository(client).add({
            incidentId,
            occurredAt: at,
            kind: 'lock_snapshot',
            authorId: null,
            text: `Watch: ${snapshotText(inspection.snapshot)}`,
            data: { snapshot: { ...inspection.snapshot }, watch: true },
            requestId: eventKey,
          });
        }
        const file = detailFileEffect(`${eventKey}:detail`, watch.channel_id, inspection, incidentId);
        await this.deps.effects.add(
          client,
          postEffect(eventKey, watch.channel_id, inspection.rendered.message, incidentId),
          ...(file ? [file] : []),
        );
        return true;
      });
      if (posted) await this.deps.effects.wake([watch.channel_id]);
    }
  }
}

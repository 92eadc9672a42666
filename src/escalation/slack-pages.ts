import type pg from 'pg';
import type { Effect, NewEffect } from '../outbox/model.js';
import type { Outbox } from '../outbox/outbox.js';
import type { Queryable } from '../store/queryable.js';
import { renderAcknowledged, renderPage, type PageFacts } from './page-view.js';
import type { PageEffect, PageOutbox } from './ports.js';

export const PAGE = 'escalation.page';
export const PAGE_UPDATE = 'escalation.page_update';

const KIND: Record<PageEffect['kind'], string> = { page: PAGE, page_update: PAGE_UPDATE };

/** Page effects as durable outbox effects, one `dm:<user>` lane per person so a page precedes its update. */
export function outboxPages(outbox: Pick<Outbox, 'add' | 'wake'>): PageOutbox {
  const lanes = new Set<string>();
  return {
    async add(db: Queryable, effects: PageEffect[]) {
      const rows: NewEffect[] = effects.map((e) => ({ lane: `dm:${e.userId}`, kind: KIND[e.kind], key: e.key, incidentId: e.incidentId, payload: { pageId: e.pageId } }));
      for (const row of rows) lanes.add(row.lane);
      if (rows.length > 0) await outbox.add(db, ...rows);
    },
    async wake() {
      const now = [...lanes];
      lanes.clear();
      if (now.length > 0) await outbox.wake(now);
    },
  };
}

interface PageRecord {
  id: string;
  incident_id: string;
  user_id: string;
  dm_channel: string | null;
  dm_ts: string | null;
  title: string;
  severity: number;
  channel_id: string | null;
  opened_at: Date;
  acked_by: string | null;
  acked_at: Date | null;
  others: string[];
}

async function loadPage(db: Queryable, pageId: number): Promise<PageRecord | null> {
  const { rows } = await db.query<PageRecord>(
    `SELECT p.id, p.incident_id, p.user_id, p.dm_channel, p.dm_ts, i.title, i.severity, i.channel_id, i.opened_at,
            e.acked_by, e.acked_at,
            ARRAY(SELECT DISTINCT o.user_id FROM pages o WHERE o.incident_id = p.incident_id AND o.user_id <> p.user_id) AS others
     FROM pages p JOIN incidents i ON i.id = p.incident_id LEFT JOIN escalations e ON e.incident_id = p.incident_id
     WHERE p.id = $1`,
    [pageId],
  );
  return rows[0] ?? null;
}

function facts(p: PageRecord, zone: string): PageFacts {
  return { incidentId: Number(p.incident_id), title: p.title, severity: p.severity, channelId: p.channel_id, openedAt: p.opened_at, others: p.others, zone };
}

const pageIdOf = (effect: Effect): number => Number(effect.payload['pageId']);

/**
 * Delivers pages: opens the DM, posts once (the effect key in the metadata settles a crash
 * between "posted" and "recorded"), records where. A page delivered after an ack is posted
 * already acknowledged; an update re-renders a page that went out.
 */
export function registerPageEffects(outbox: Pick<Outbox, 'register'>, deps: { pool: pg.Pool; timezone: string; now?: () => Date }): void {
  const now = deps.now ?? (() => new Date());
  outbox.register(PAGE, async (effect, ctx) => {
    const page = await loadPage(deps.pool, pageIdOf(effect));
    if (!page) return;
    const channel = page.dm_channel ?? (await ctx.slack.openDm(page.user_id));
    const f = facts(page, deps.timezone);
    const message = page.acked_by && page.acked_at ? renderAcknowledged(f, { by: page.acked_by, at: page.acked_at }, now()) : renderPage(f, now());
    const posted = await ctx.postOnce(channel, message);
    await deps.pool.query(`UPDATE pages SET state = 'sent', sent_at = coalesce(sent_at, now()), dm_channel = $2, dm_ts = $3 WHERE id = $1`, [
      page.id,
      posted.channel,
      posted.ts,
    ]);
  });
  outbox.register(PAGE_UPDATE, async (effect, ctx) => {
    const page = await loadPage(deps.pool, pageIdOf(effect));
    // Not posted yet: the page itself (earlier in this lane) was rendered acknowledged.
    if (!page || !page.dm_channel || !page.dm_ts || !page.acked_by || !page.acked_at) return;
    await ctx.slack.updateMessage(page.dm_channel, page.dm_ts, renderAcknowledged(facts(page, deps.timezone), { by: page.acked_by, at: page.acked_at }, now()));
  });
}

import type { Incident } from '../../src/incidents/model.js';
import type { NewEffect } from '../../src/outbox/model.js';
import type { CapturedMessage } from '../../src/postmortem/model.js';
import type { PostmortemStore } from '../../src/postmortem/records.js';
import type { PostmortemVersion } from '../../src/postmortem/repository.js';
import type { Queryable } from '../../src/store/queryable.js';
import { compareTs } from '../../src/postmortem/ts.js';
import { recordEvent, type MemoryEvent } from './memory-timeline.js';

/**
 * What the postmortem reads and writes, in memory, with the rules of the SQL it stands for (a
 * version number is stored once, a captured message once per channel and ts, an effect key is
 * queued once), so its rules test without PostgreSQL.
 */
export class MemoryPostmortem {
  private readonly incidents = new Map<number, Incident>();
  private readonly channels = new Map<string, CapturedMessage[]>();
  private readonly timeline: MemoryEvent[] = [];
  readonly versions: PostmortemVersion[] = [];
  /** Effects queued, each with the connection it was queued on. */
  readonly queued: { db: Queryable; effect: NewEffect }[] = [];
  /** Lanes woken after commit, in order. */
  readonly woken: string[] = [];

  readonly store: PostmortemStore = {
    // Never queried: the in-memory rows and effect sink ignore it.
    db: {} as Queryable,
    incidents: { byId: async (id) => this.incidents.get(id) ?? null },
    events: { list: async (id) => this.timeline.filter((e) => e.incidentId === id).sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || a.id - b.id) },
    messages: {
      list: async (channel) => [...(this.channels.get(channel) ?? [])].sort((a, b) => compareTs(a.ts, b.ts)),
      threadRoots: async (channel) => [...new Set((this.channels.get(channel) ?? []).flatMap((m) => (m.threadTs === null ? [] : [m.threadTs])))],
      addMissing: async (channel, messages) => {
        const known = this.channels.get(channel) ?? [];
        const added = messages.filter((m) => !known.some((k) => k.ts === m.ts));
        this.channels.set(channel, [...known, ...added]);
        return added.length;
      },
    },
    versions: {
      latest: async (id) => this.versions.filter((v) => v.incidentId === id).sort((a, b) => b.version - a.version)[0] ?? null,
      get: async (id, version) => this.versions.find((v) => v.incidentId === id && v.version === version) ?? null,
      add: async (incidentId, version, markdown, summary, createdBy) => {
        if (this.versions.some((v) => v.incidentId === incidentId && v.version === version)) return null;
        const stored = { incidentId, version, markdown, summary, createdBy, createdAt: new Date(), fileId: null, messageTs: null, canvasId: null };
        this.versions.push(stored);
        return stored;
      },
      recordPublished: async (id, version, part) => {
        const v = this.versions.find((known) => known.incidentId === id && known.version === version);
        if (v) Object.assign(v, part);
      },
    },
  };

  readonly effects = {
    add: async (db: Queryable, ...effects: NewEffect[]) => {
      for (const effect of effects) {
        if (!this.queued.some((known) => known.effect.key === effect.key)) this.queued.push({ db, effect });
      }
    },
    wake: async (lanes: Iterable<string>) => {
      this.woken.push(...lanes);
    },
  };

  seedIncident(incident: Incident): void {
    this.incidents.set(incident.id, incident);
  }

  note(incidentId: number, occurredAt: Date, text: string): void {
    recordEvent(this.timeline, { incidentId, occurredAt, kind: 'note', authorId: 'U0AMINA01', text });
  }

  /** A message captured in the channel, live or by the backfill. */
  said(channelId: string, ts: string, userId: string, text: string): void {
    this.channels.set(channelId, [...(this.channels.get(channelId) ?? []), { ts, userId, text, threadTs: null }]);
  }
}

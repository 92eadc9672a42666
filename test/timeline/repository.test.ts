import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TimelineRepository } from '../../src/timeline/repository.js';
import { createMigratedDatabase, type MigratedDatabase } from '../support/database.js';
import { insertIncident } from '../support/page-outbox.js';

let db: MigratedDatabase;
let pool: pg.Pool;
beforeAll(async () => {
  db = await createMigratedDatabase('timeline_repo');
  pool = db.pool;
});
afterAll(() => db?.close());

it('addAll records many events in the order given, with their warnings and data, and skips a message already recorded', async () => {
  const id = await insertIncident(pool);
  const repo = new TimelineRepository(pool);
  const at = new Date('2026-03-30T07:00:00Z');
  await repo.add({ incidentId: id, occurredAt: at, kind: 'pinned', authorId: 'UA1', text: 'pinned before', sourceTs: '1.000' });
  await repo.addAll([
    { incidentId: id, occurredAt: at, kind: 'page', authorId: null, text: 'Paged <@UA1> (tier 1)', data: { tier: 0, users: ['UA1'] } },
    { incidentId: id, occurredAt: at, kind: 'pinned', authorId: 'UA1', text: 'pinned again', sourceTs: '1.000' },
    { incidentId: id, occurredAt: at, kind: 'note', authorId: 'UB2', text: 'at 9', typedTime: '9', zoneUsed: 'Europe/Berlin', warnings: ['ambiguous "9"'] },
  ]);
  const events = await repo.list(id);
  expect(events.map((e) => e.text)).toEqual(['pinned before', 'Paged <@UA1> (tier 1)', 'at 9']);
  expect(events[1]).toMatchObject({ kind: 'page', authorId: null, data: { tier: 0, users: ['UA1'] }, occurredAt: at });
  expect(events[2]).toMatchObject({ typedTime: '9', zoneUsed: 'Europe/Berlin', warnings: ['ambiguous "9"'] });
});

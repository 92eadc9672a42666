import type pg from 'pg';
import { IncidentRepository } from '../incidents/repository.js';
import type { Queryable } from '../store/queryable.js';
import { TimelineRepository } from '../timeline/repository.js';
import { CapturedMessages, PostmortemRepository } from './repository.js';

/**
 * The rows the postmortem reads and writes: PostgreSQL in production, anything alike in unit
 * tests. The pool's only, with no transaction: nothing here writes two rows that must land
 * together (a compile that loses the race for a version number reads the winner's instead).
 */
export interface PostmortemStore {
  /** Where a requested recompile queues its effect. */
  db: Queryable;
  incidents: Pick<IncidentRepository, 'byId'>;
  events: Pick<TimelineRepository, 'list'>;
  messages: Pick<CapturedMessages, 'list' | 'threadRoots' | 'addMissing'>;
  versions: Pick<PostmortemRepository, 'latest' | 'get' | 'add' | 'recordPublished'>;
}

export function postgresPostmortemStore(pool: pg.Pool): PostmortemStore {
  return {
    db: pool,
    incidents: new IncidentRepository(pool),
    events: new TimelineRepository(pool),
    messages: new CapturedMessages(pool),
    versions: new PostmortemRepository(pool),
  };
}

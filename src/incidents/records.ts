import type pg from 'pg';
import type { Queryable } from '../store/queryable.js';
import { withTransaction } from '../store/transaction.js';
import { TimelineRepository } from '../timeline/repository.js';
import { IncidentRepository } from './repository.js';

/** The incident rows the service uses: PostgreSQL in production, anything alike in unit tests. */
export type IncidentRows = Pick<
  IncidentRepository,
  'create' | 'intendChannelName' | 'attachChannel' | 'markFailed' | 'abandonedOpenings' | 'byId' | 'byChannel' | 'listOpen' | 'change'
>;
export type IncidentEventRows = Pick<TimelineRepository, 'add' | 'hasRequest'>;

/** The rows of one connection: the pool's, or one transaction's. */
export interface IncidentRecords {
  /** Where effects and hooks write in the same transaction. */
  db: Queryable;
  incidents: IncidentRows;
  events: IncidentEventRows;
}

export interface IncidentStore extends IncidentRecords {
  /** `work` is recorded whole or not at all. */
  transaction<T>(work: (tx: IncidentRecords) => Promise<T>): Promise<T>;
}

function recordsOf(db: Queryable): IncidentRecords {
  return { db, incidents: new IncidentRepository(db), events: new TimelineRepository(db) };
}

export function postgresIncidentStore(pool: pg.Pool): IncidentStore {
  return { ...recordsOf(pool), transaction: (work) => withTransaction(pool, (client) => work(recordsOf(client))) };
}

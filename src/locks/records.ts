import type pg from 'pg';
import type { Queryable } from '../store/queryable.js';
import { withTransaction } from '../store/transaction.js';
import { TimelineRepository } from '../timeline/repository.js';
import { LockWatchRepository } from './watches.js';

/** The rows /locks uses: PostgreSQL in production, anything alike in unit tests. */
export type LockEventRows = Pick<TimelineRepository, 'add'>;
export type LockWatchRows = Pick<LockWatchRepository, 'start' | 'stop' | 'stopClosed' | 'running' | 'claim'>;

/** The rows of one connection: the pool's, or one transaction's. */
export interface LocksRecords {
  /** Where the posts are written to the outbox in the same transaction as their evidence. */
  db: Queryable;
  events: LockEventRows;
  watches: LockWatchRows;
}

export interface LocksStore extends LocksRecords {
  /** `work` is recorded whole or not at all. */
  transaction<T>(work: (tx: LocksRecords) => Promise<T>): Promise<T>;
}

function recordsOf(db: Queryable): LocksRecords {
  return { db, events: new TimelineRepository(db), watches: new LockWatchRepository(db) };
}

export function postgresLocksStore(pool: pg.Pool): LocksStore {
  return { ...recordsOf(pool), transaction: (work) => withTransaction(pool, (client) => work(recordsOf(client))) };
}

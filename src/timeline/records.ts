import type pg from 'pg';
import type { Queryable } from '../store/queryable.js';
import { withTransaction } from '../store/transaction.js';
import { MessageLog } from './messages.js';
import { TimelineRepository } from './repository.js';

/** The timeline rows the services use: PostgreSQL in production, anything alike in unit tests. */
export type TimelineRows = Pick<TimelineRepository, 'add' | 'count' | 'page'>;
export type MessageRows = Pick<MessageLog, 'record' | 'edit' | 'remove' | 'find'>;

/** The rows of one connection: the pool's, or one transaction's. */
export interface TimelineRecords {
  /** Where effects and hooks write in the same transaction. */
  db: Queryable;
  events: TimelineRows;
  messages: MessageRows;
}

export interface TimelineStore extends TimelineRecords {
  /** `work` is recorded whole or not at all. */
  transaction<T>(work: (tx: TimelineRecords) => Promise<T>): Promise<T>;
}

function recordsOf(db: Queryable): TimelineRecords {
  return { db, events: new TimelineRepository(db), messages: new MessageLog(db) };
}

export function postgresTimelineStore(pool: pg.Pool): TimelineStore {
  return { ...recordsOf(pool), transaction: (work) => withTransaction(pool, (client) => work(recordsOf(client))) };
}

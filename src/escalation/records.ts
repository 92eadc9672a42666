import type pg from 'pg';
import type { Queryable } from '../store/queryable.js';
import { withTransaction } from '../store/transaction.js';
import { TimelineRepository } from '../timeline/repository.js';
import { EscalationRepository } from './repository.js';

/** The escalation rows the engine uses: PostgreSQL in production, anything alike in unit tests. */
export type EscalationRows = Pick<
  EscalationRepository,
  'create' | 'get' | 'advance' | 'replan' | 'ack' | 'stop' | 'nextManualPage' | 'addPages' | 'pages' | 'claimDue' | 'lockFree' | 'advanceAll' | 'countOverdue'
>;
export type PageEventRows = Pick<TimelineRepository, 'add' | 'addAll'>;

/** The rows of one connection: the pool's, or one transaction's. */
export interface EscalationRecords {
  /** Where page effects are written in the same transaction. */
  db: Queryable;
  escalations: EscalationRows;
  events: PageEventRows;
}

export interface EscalationStore extends EscalationRecords {
  /** `work` is recorded whole or not at all. */
  transaction<T>(work: (tx: EscalationRecords) => Promise<T>): Promise<T>;
  /** The rows of a transaction another capability holds: the incident's opening or close. */
  joining(db: Queryable): EscalationRecords;
}

function recordsOf(db: Queryable): EscalationRecords {
  return { db, escalations: new EscalationRepository(db), events: new TimelineRepository(db) };
}

export function postgresEscalationStore(pool: pg.Pool): EscalationStore {
  return {
    ...recordsOf(pool),
    transaction: (work) => withTransaction(pool, (client) => work(recordsOf(client))),
    joining: recordsOf,
  };
}

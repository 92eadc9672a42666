import { randomBytes } from 'node:crypto';
import type { Queryable } from '../store/queryable.js';

/** How long a replica may stay silent before its leases are taken over. */
export const REPLICA_TIMEOUT_MS = 5_000;
const HEARTBEAT_MS = 1_000;

/**
 * This process, as the other replicas see it: a heartbeat row in PostgreSQL. Work leased by a
 * replica whose heartbeat stopped (SIGKILL, a lost host) is taken over within REPLICA_TIMEOUT_MS.
 */
export class Replica {
  readonly id = `${process.pid}-${randomBytes(4).toString('hex')}`;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Queryable) {}

  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => void this.beat().catch(() => undefined), HEARTBEAT_MS);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    await this.db.query(
      `INSERT INTO replicas (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET heartbeat_at = now()`,
      [this.id],
    );
  }

  /** Leaves for good: what it still leases is free for the others at once. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.db.query('DELETE FROM replicas WHERE id = $1', [this.id]).catch(() => undefined);
  }
}

/** SQL condition: the lease holder in `column` is nobody, us ($me), or a replica that went silent. */
export function leaseIsFree(column: string, me: string): string {
  return `(${column} IS NULL OR ${column} = ${me} OR NOT EXISTS (
    SELECT 1 FROM replicas r WHERE r.id = ${column} AND r.heartbeat_at > now() - interval '${REPLICA_TIMEOUT_MS} milliseconds'))`;
}

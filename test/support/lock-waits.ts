import type pg from 'pg';

/** Polls until every pid waits for a lock (never sleeps a fixed time). */
export async function waitForLockWaits(client: pg.Client, pids: number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1) AND wait_event_type = 'Lock'`,
      [pids],
    );
    if (rows[0]?.n === pids.length) return;
    if (Date.now() > deadline) throw new Error(`pids ${pids.join(', ')} never waited for a lock`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

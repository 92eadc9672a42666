// A bare escalation worker process for the crash test and the benchmark: it takes step jobs
// and runs the reconciler until it is killed. Settings come from the environment.
import pg from 'pg';
import { EscalationEngine } from '../../src/escalation/engine.js';
import { postgresEscalationStore } from '../../src/escalation/records.js';
import type { EscalationSettings } from '../../src/escalation/settings.js';
import { createLogger } from '../../src/log.js';
import { openQueues } from '../../src/queue/queues.js';
import { RecordingPageOutbox } from './page-outbox.js';

const databaseUrl = process.env['ESC_DATABASE_URL'] ?? '';
const redisUrl = process.env['ESC_REDIS_URL'] || null;
const prefix = process.env['ESC_PREFIX'] ?? 'fbt_esc_worker';
const log = createLogger(process.env['ESC_LOG'] ?? 'warn');

/** Three tiers; the caller chooses their spacing so tests stay short and benchmarks can stretch. */
export function benchSettings(spacingMs: number): EscalationSettings {
  return {
    defaultPolicy: 'three',
    bySeverity: {},
    policies: {
      three: {
        repeat: 0,
        tiers: [
          { afterMs: 0, notify: ['UA1'] },
          { afterMs: spacingMs, notify: ['UB2'] },
          { afterMs: 2 * spacingMs, notify: ['UC3'] },
        ],
        webhook: null,
      },
    },
    rotations: {},
  };
}

async function main(): Promise<void> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(process.env['ESC_POOL'] ?? '6') });
  const queues = openQueues({ redisUrl, postgresUrl: databaseUrl, prefix, log });
  const engine = new EscalationEngine({
    store: postgresEscalationStore(pool),
    queues,
    outbox: new RecordingPageOutbox(pool),
    usergroupMembers: async () => [],
    settings: benchSettings(Number(process.env['ESC_SPACING_MS'] ?? '300')),
    log,
    reconcileEveryMs: 200,
  });
  await engine.run(Number(process.env['ESC_CONCURRENCY'] ?? '16'));
  process.stdout.write('ready\n');
  const stop = async (): Promise<void> => {
    engine.stopReconciler();
    await queues.close();
    await pool.end();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
}

if (process.argv[1]?.endsWith('escalation-worker.ts')) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}

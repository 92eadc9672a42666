import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from './config.js';
import { createHttpServer } from './http/server.js';
import { Metrics } from './http/metrics.js';
import { registerIncidentEffects } from './incidents/effects.js';
import { IncidentRepository } from './incidents/repository.js';
import { postgresIncidentStore } from './incidents/records.js';
import { IncidentService } from './incidents/service.js';
import { startHousekeeping } from './housekeeping.js';
import { Inbox } from './inbox/inbox.js';
import { LocksFlow } from './locks/flow.js';
import { postgresLocksStore } from './locks/records.js';
import { LocksService } from './locks/service.js';
import { LocksWatch, WATCH_EVERY_MS } from './locks/watch.js';
import { InFlight } from './inflight.js';
import type { Logger } from './log.js';
import { EscalationCommands } from './escalation/commands.js';
import { EscalationEngine } from './escalation/engine.js';
import { escalationMetrics } from './escalation/metrics.js';
import { ACK_ACTION } from './escalation/page-view.js';
import { postgresEscalationStore } from './escalation/records.js';
import { outboxPages, registerPageEffects } from './escalation/slack-pages.js';
import { Outbox } from './outbox/outbox.js';
import { PostmortemCommands } from './postmortem/command.js';
import { registerPostmortemEffect } from './postmortem/effect.js';
import { postgresPostmortemStore } from './postmortem/records.js';
import { ackRoute } from './slack/handlers/escalation.js';
import { registerSlackEffects } from './outbox/slack-effects.js';
import { openQueues, type Queues } from './queue/queues.js';
import { Replica } from './replicas/registry.js';
import { createSlackEdge, registerListeners } from './slack/app.js';
import { LOCKS_ACTION_PREFIX, locksRoutes } from './slack/handlers/locks.js';
import { openStore, type Store } from './store/database.js';
import { postgresTimelineStore } from './timeline/records.js';
import { TimelineService } from './timeline/service.js';
import { UserDirectory } from './users/directory.js';

export interface Firebreak {
  /** Where POST /slack/events is served (and /healthz, /metrics unless ADMIN_PORT is set). */
  url: string;
  /** Where /healthz and /metrics are served. */
  adminUrl: string;
  store: Store;
  queues: Queues;
  outbox: Outbox;
  /** Stops taking requests, lets in-flight work finish (5 s at most), closes queues and pools. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Redis key prefix / PostgreSQL schema of the queues; tests give each file its own. */
  queuePrefix?: string;
  /** Bind address; loopback unless told otherwise by the deployment. */
  host?: string;
}

const DRAIN_MS = 5_000;
const LOCKS_WATCH_QUEUE = 'locks-watch';

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

/** The composition root: the only place that builds infrastructure and wires it together. */
export async function startFirebreak(config: Config, log: Logger, options: StartOptions = {}): Promise<Firebreak> {
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, log });
  const queues = openQueues({
    redisUrl: config.redisUrl,
    postgresUrl: store.url,
    log,
    prefix: options.queuePrefix ?? config.queuePrefix,
  });
  try {
    const edge = await createSlackEdge(config.slack, log);
    const metrics = new Metrics();
    const inflight = new InFlight();
    const replica = new Replica(store.pool);
    await replica.start();
    const inbox = new Inbox({ pool: store.pool, recordPool: store.ackPool, replicaId: replica.id, log, acksWaiting: () => inflight.size });
    metrics.watchInboxDepth(() => inbox.depth);
    const outbox = new Outbox({
      pool: store.pool,
      slack: edge.workerGateway,
      replicaId: replica.id,
      acksWaiting: () => inflight.size,
      onRefused: async (effect, code) => {
        if (effect.incidentId !== null) {
          await new IncidentRepository(store.pool).addProblem(effect.incidentId, `Slack refused ${effect.kind} (${code})`);
        }
      },
      metrics: {
        delivered: (kind) => metrics.effects.inc({ kind, outcome: 'delivered' }),
        failed: (kind) => metrics.effects.inc({ kind, outcome: 'refused' }),
        throttled: () => metrics.throttledLanes.inc(),
      },
      log,
    });
    registerSlackEffects(outbox);
    registerIncidentEffects(outbox, { pool: store.pool, timezone: config.timezone });
    const postmortemStore = postgresPostmortemStore(store.pool);
    registerPostmortemEffect(outbox, { store: postmortemStore, settings: { zone: config.timezone, ...config.postmortem }, log });
    const postmortem = new PostmortemCommands({ store: postmortemStore, effects: outbox });
    registerPageEffects(outbox, { pool: store.pool, timezone: config.timezone });
    const escalationStore = postgresEscalationStore(store.pool);
    const escalation = new EscalationEngine({
      store: escalationStore,
      queues,
      outbox: outboxPages(outbox),
      usergroupMembers: (id) => edge.workerGateway.usergroupMembers(id),
      settings: config.escalation,
      log,
      metrics: escalationMetrics(metrics),
      webhook: {
        fetch,
        env: process.env,
        incident: async (id) => {
          const found = await new IncidentRepository(store.pool).byId(id);
          return found ? { title: found.title, severity: found.severity, channelId: found.channelId } : null;
        },
      },
    });
    const escalationCommands = new EscalationCommands(escalation, escalationStore.escalations, {
      timezone: config.timezone,
      defaultPolicy: config.escalation.defaultPolicy,
    });
    const users = new UserDirectory(store.pool, edge.gateway);
    const incidents = new IncidentService({
      store: postgresIncidentStore(store.pool),
      slack: edge.gateway,
      users,
      effects: outbox,
      settings: { timezone: config.timezone, channelPrefix: config.channelPrefix },
      log,
      hooks: {
        opened: async (db, incident) => {
          await escalation.start(incident.id, incident.severity, incident.openedAt, db);
        },
        afterOpen: (incident) => escalation.started(incident.id),
        severityChanged: async (incident, at) => {
          await escalation.changeSeverity(incident.id, incident.severity, at);
        },
        closed: async (db, incident) => {
          await escalation.stop(incident.id, 'closed', db);
          await postmortem.closed(db, incident);
        },
      },
    });
    const timeline = new TimelineService({
      store: postgresTimelineStore(store.pool),
      slack: edge.gateway,
      users,
      incidents: new IncidentRepository(store.pool),
      effects: outbox,
      settings: { timezone: config.timezone, zoneAliases: config.zoneAliases },
      log,
    });
    const locksService = LocksService.create(config.locks, (id) => edge.gateway.usergroupMembers(id));
    const locksDeps = { store: postgresLocksStore(store.pool), locks: locksService, incidents: new IncidentRepository(store.pool), effects: outbox };
    const locksWatch = new LocksWatch(locksDeps);
    const locks = locksRoutes(new LocksFlow({ ...locksDeps, watch: locksWatch }), log);
    // Every replica upserts the same scheduler: one sampling round every 15 s in all.
    queues.worker(LOCKS_WATCH_QUEUE, async () => locksWatch.tick(new Date()));
    await queues
      .queue(LOCKS_WATCH_QUEUE)
      .upsertJobScheduler(LOCKS_WATCH_QUEUE, { every: WATCH_EVERY_MS }, { name: LOCKS_WATCH_QUEUE, opts: { removeOnComplete: true, removeOnFail: 100 } });
    registerListeners(edge.app, {
      services: { incidents, timeline, postmortem, escalation: escalationCommands },
      routes: {
        commands: { '/locks': locks.command },
        actions: { [LOCKS_ACTION_PREFIX]: locks.action, [ACK_ACTION]: ackRoute(escalationCommands) },
      },
      gateway: edge.gateway,
      inbox,
      inflight,
      metrics,
      log,
    });

    const checks = { store: store.ping, queue: queues.ping };
    const separateAdmin = config.adminPort !== null;
    const server = createHttpServer({ slack: edge.requestListener, admin: !separateAdmin, checks, metrics, log });
    const host = options.host ?? '0.0.0.0';
    await listen(server, config.port, host);
    const adminServer = separateAdmin ? createHttpServer({ slack: null, admin: true, checks, metrics, log }) : null;
    if (adminServer) await listen(adminServer, config.adminPort!, host);
    await startHousekeeping(queues, { inbox, incidents, log });
    await outbox.start();
    await escalation.run();
    inbox.start();
    await edge.start();
    const { port } = server.address() as AddressInfo;
    const adminPort = adminServer ? (adminServer.address() as AddressInfo).port : port;
    log.info({ port, adminPort, mode: config.slack.appToken ? 'socket' : 'http', queues: queues.backend }, 'Firebreak is running');

    let stopping: Promise<void> | null = null;
    const stop = async () => {
      // Take no new requests, over HTTP or the socket, before waiting for those in flight.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await edge.stop();
      const deadline = Date.now() + DRAIN_MS;
      const acked = await inflight.drain(DRAIN_MS);
      const handled = await inbox.stop(Math.max(0, deadline - Date.now()));
      if (!acked || !handled) {
        log.warn({ unfinished: inflight.size + inbox.depth }, 'stopping with work unfinished; another replica (or the next start) takes it over');
      }
      server.closeAllConnections();
      await closed;
      if (adminServer) {
        adminServer.closeAllConnections();
        await new Promise<void>((resolve) => adminServer.close(() => resolve()));
      }
      // Deliveries under way finish, or are taken over once this replica's heartbeat stops.
      await outbox.stop(Math.max(1_000, deadline - Date.now()));
      escalation.stopReconciler();
      await locksService.close();
      await queues.close();
      // Last: once this replica is gone, the others take over what it still leased.
      await replica.stop();
      await store.close();
    };
    return {
      url: `http://127.0.0.1:${port}`,
      adminUrl: `http://127.0.0.1:${adminPort}`,
      store,
      queues,
      outbox,
      stop: () => (stopping ??= stop()),
    };
  } catch (error) {
    await queues.close().catch(() => undefined);
    await store.close().catch(() => undefined);
    throw error;
  }
}

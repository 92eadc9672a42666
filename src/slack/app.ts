import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver, webApi } from '@slack/bolt';
import type { Config } from '../config.js';
import type { Services } from '../commands/dispatch.js';
import type { Metrics } from '../http/metrics.js';
import type { Inbox } from '../inbox/inbox.js';
import type { InFlight } from '../inflight.js';
import type { Logger } from '../log.js';
import type { SlackGateway } from '../ports/slack.js';
import { boltLogger } from './bolt-logger.js';
import { webClientGateway } from './gateway.js';
import { actionHandler, timelinePageRoute } from './handlers/actions.js';
import { commandHandler } from './handlers/commands.js';
import { eventHandler } from './handlers/events.js';
import { openViewHandler } from './handlers/open-view.js';
import { ACTION_KIND, registerActions } from './listeners/actions.js';
import { COMMAND_KIND, registerCommands } from './listeners/commands.js';
import { EVENT_KIND, registerEvents } from './listeners/events.js';
import { OPEN_VIEW_KIND, registerOpenModal } from './listeners/open-modal.js';
import type { Routes } from './routes.js';

export interface SlackEdge {
  app: App;
  /** For calls a person is waiting on: a 429 fails at once instead of pausing every caller. */
  gateway: SlackGateway;
  /** For the outbox worker: no retries of its own, 429s surface so only that lane waits. */
  workerGateway: SlackGateway;
  /** The listener for POST /slack/events in HTTP mode; null in Socket Mode. */
  requestListener: ((req: IncomingMessage, res: ServerResponse) => void) | null;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Bolt in HTTP mode (we serve its request listener from our own server, beside /healthz and
 * /metrics) or in Socket Mode when an app token is set.
 */
export async function createSlackEdge(settings: Config['slack'], log: Logger): Promise<SlackEdge> {
  const logger = boltLogger(log);
  const clientOptions = {
    slackApiUrl: settings.apiUrl,
    // A person is waiting on every call: one quick retry, never a pause for a rate limit.
    retryConfig: { retries: 1, factor: 2, minTimeout: 200, maxTimeout: 1_000 },
    rejectRateLimitedCalls: true,
    timeout: 2_500,
  };
  const workerClient = new webApi.WebClient(settings.botToken, {
    slackApiUrl: settings.apiUrl,
    logger,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 5_000,
  });
  const receiver = settings.appToken
    ? new SocketModeReceiver({ appToken: settings.appToken, logger, installerOptions: { clientOptions } })
    : new HTTPReceiver({
        signingSecret: settings.signingSecret ?? '',
        logger,
        // The 200 goes out once the listener is done, and listeners only record and ack: so an
        // event (which Bolt acks before any listener runs) is answered only once it is durable.
        processBeforeResponse: true,
      });
  const app = new App({
    token: settings.botToken,
    receiver,
    logger,
    clientOptions,
    // Firebreak keeps no conversation state in Bolt; its default store costs every request.
    convoStore: false,
    deferInitialization: true,
  });
  await app.init();
  const gateway = webClientGateway(app.client);
  const workerGateway = webClientGateway(workerClient);
  if (receiver instanceof SocketModeReceiver) {
    return {
      app,
      gateway,
      workerGateway,
      requestListener: null,
      start: async () => {
        await app.start();
      },
      // Bolt's receiver.stop() starts the disconnect without waiting for it; wait, so nothing
      // arrives over the socket once stop() has returned.
      stop: () => receiver.client.disconnect(),
    };
  }
  return {
    app,
    gateway,
    workerGateway,
    requestListener: (req, res) => receiver.requestListener(req, res),
    start: async () => undefined,
    stop: async () => undefined,
  };
}

export interface ListenerDeps {
  services: Services;
  gateway: SlackGateway;
  inbox: Inbox;
  inflight: InFlight;
  metrics: Metrics;
  log: Logger;
  /** Slash commands besides /incident, and buttons, from the other capabilities. */
  routes?: Partial<Routes>;
}

/** Listeners record and ack; the inbox hands what they recorded to the handlers. */
export function registerListeners(app: App, deps: ListenerDeps): void {
  const { services, gateway, inbox, inflight, metrics, log } = deps;
  const commandRoutes = deps.routes?.commands ?? {};
  const actionRoutes = Object.fromEntries([timelinePageRoute({ timeline: services.timeline, log }), ...Object.entries(deps.routes?.actions ?? {})]);
  // Everything a listener does counts as in flight, so SIGTERM lets it finish.
  app.use(async ({ next }) => {
    await inflight.track(next());
  });
  app.error(async (error) => {
    log.error({ err: error.message }, 'listener failed');
  });
  registerCommands(app, { inbox, slack: gateway, inflight, metrics, log, routes: commandRoutes });
  registerOpenModal(app, { inbox, log });
  registerActions(app, { inbox, log });
  registerEvents(app, { inbox, log });
  inbox.register(COMMAND_KIND, commandHandler({ services, routes: commandRoutes, metrics, log }));
  inbox.register(OPEN_VIEW_KIND, openViewHandler({ incidents: services.incidents, slack: gateway, log }));
  inbox.register(ACTION_KIND, actionHandler({ routes: actionRoutes, log }));
  inbox.register(EVENT_KIND, eventHandler({ timeline: services.timeline }));
}

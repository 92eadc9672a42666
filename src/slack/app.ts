import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import type { Config } from '../config.js';
import type { Services } from '../commands/dispatch.js';
import type { Metrics } from '../http/metrics.js';
import type { InFlight } from '../inflight.js';
import type { Logger } from '../log.js';
import type { SlackGateway } from '../ports/slack.js';
import type { SeenEvents } from '../store/seen-events.js';
import { boltLogger } from './bolt-logger.js';
import { webClientGateway } from './gateway.js';
import { registerChannelEvents } from './listeners/channel-events.js';
import { registerIncidentCommand } from './listeners/incident-command.js';
import { registerOpenModal } from './listeners/open-modal.js';
import { registerTimelinePages } from './listeners/timeline-pages.js';

export interface SlackEdge {
  app: App;
  gateway: SlackGateway;
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
    // A person is waiting on every call: a few quick retries, not the default half hour of them.
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 2_000 },
  };
  const receiver = settings.appToken
    ? new SocketModeReceiver({ appToken: settings.appToken, logger, installerOptions: { clientOptions } })
    : new HTTPReceiver({
        signingSecret: settings.signingSecret ?? '',
        logger,
        // Answer Slack as soon as a listener acks; the work goes on after the answer.
        processBeforeResponse: false,
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
  if (receiver instanceof SocketModeReceiver) {
    return {
      app,
      gateway,
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
    requestListener: (req, res) => receiver.requestListener(req, res),
    start: async () => undefined,
    stop: async () => undefined,
  };
}

export interface ListenerDeps {
  services: Services;
  gateway: SlackGateway;
  seenEvents: SeenEvents;
  inflight: InFlight;
  metrics: Metrics;
  log: Logger;
}

export function registerListeners(app: App, deps: ListenerDeps): void {
  const { services, gateway, seenEvents, inflight, metrics, log } = deps;
  // Everything a listener does counts as in flight, so SIGTERM lets it finish; a redelivered
  // event (same event_id) goes no further than this.
  app.use(async ({ body, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    await inflight.track(
      (async () => {
        if (typeof eventId === 'string' && !(await seenEvents.firstTime(eventId))) {
          log.debug({ eventId }, 'duplicate event delivery ignored');
          return;
        }
        await next();
      })(),
    );
  });
  app.error(async (error) => {
    log.error({ err: error.message }, 'listener failed');
  });
  registerIncidentCommand(app, { services, slack: gateway, metrics, log });
  registerOpenModal(app, { incidents: services.incidents, slack: gateway, log });
  registerTimelinePages(app, { timeline: services.timeline, log });
  registerChannelEvents(app, { timeline: services.timeline, log });
}

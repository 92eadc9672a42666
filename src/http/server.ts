import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import type { Metrics } from './metrics.js';

export type HealthCheck = () => Promise<void>;

export interface HttpServerOptions {
  /** Bolt's request listener for POST /slack/events; absent in Socket Mode and on the admin port. */
  slack: ((req: IncomingMessage, res: ServerResponse) => void) | null;
  /** Serve /healthz and /metrics here (false on the Slack ingress when ADMIN_PORT is set). */
  admin: boolean;
  checks: Record<string, HealthCheck>;
  metrics: Metrics;
  log: Logger;
}

const CHECK_TIMEOUT_MS = 2_000;
// Slack's payloads are a few KB (a modal's state at most tens): anything near this is not Slack.
const MAX_SLACK_BODY_BYTES = 1024 * 1024;

/** 'ok' or 'failing': what went wrong is logged, never shown to whoever can reach the port. */
async function runCheck(check: HealthCheck): Promise<{ ok: boolean; detail: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, detail: 'ok' };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The one HTTP server: Slack's requests, health for the orchestrator, metrics for Prometheus. */
export function createHttpServer({ slack, admin, checks, metrics, log }: HttpServerOptions): Server {
  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0];
    const route = path === '/slack/events' || path === '/healthz' || path === '/metrics' ? path : 'other';
    res.on('finish', () => {
      metrics.requests.inc({ route, status: String(res.statusCode) });
      if (route === '/slack/events') metrics.ackSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    });

    if (route === '/slack/events' && req.method === 'POST' && slack) {
      // Refused before a byte is read or a signature checked: a large body costs us nothing.
      const length = req.headers['content-length'];
      if (length === undefined) return send(res, 411, 'text/plain', 'length required\n');
      if (!/^\d+$/.test(length) || Number(length) > MAX_SLACK_BODY_BYTES) {
        res.setHeader('connection', 'close');
        return send(res, 413, 'text/plain', 'request too large\n');
      }
      slack(req, res);
      return;
    }
    if (admin && route === '/healthz' && req.method === 'GET') {
      void (async () => {
        const names = Object.keys(checks);
        const results = await Promise.all(names.map((name) => runCheck(checks[name]!)));
        const report = Object.fromEntries(names.map((name, i) => [name, results[i]!.ok ? 'ok' : 'failing']));
        const healthy = results.every((result) => result.ok);
        if (!healthy) {
          log.warn({ checks: Object.fromEntries(names.map((name, i) => [name, results[i]!.detail])) }, 'health check failed');
        }
        send(res, healthy ? 200 : 503, 'application/json', JSON.stringify({ status: healthy ? 'ok' : 'failing', checks: report }));
      })();
      return;
    }
    if (admin && route === '/metrics' && req.method === 'GET') {
      void metrics.registry.metrics().then((text) => send(res, 200, metrics.registry.contentType, text));
      return;
    }
    send(res, 404, 'text/plain', 'not found\n');
  });
  // Longer than the load balancers and clients in front keep idle sockets (often 60 s): a client
  // reusing a socket the server just closed sees ECONNRESET, which Slack counts as a failure.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  return server;
}

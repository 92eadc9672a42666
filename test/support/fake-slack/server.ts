// HTTP side of the fake: `/api/<method>` (auth by bot or app-level token, injected failures, rate
// limits, delays, call log), `/upload/<file_id>` (files.uploadV2's byte upload) and
// `/response/<id>` (response_urls). Socket Mode's WebSocket upgrade is in ./socket-mode.ts.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Args, SlackApiError, isRecord, recordableArgs } from './args.js';
import { bearerToken, parseMultipart, parseParams, readBody, sendJson, sendText } from './http-body.js';
import { APP_TOKEN_METHODS, METHODS } from './methods/index.js';
import type { SlackState } from './state.js';

interface Queued<T> {
  value: T;
  remaining: number;
}

/** Failures, rate limits and delays that tests arrange per method. */
export class Injections {
  private readonly failures = new Map<string, Queued<string>[]>();
  private readonly rateLimits = new Map<string, Queued<number>[]>();
  readonly delays = new Map<string, number>();
  /** Channel id → until when (fake clock ms) every call naming it gets 429, and its Retry-After. */
  readonly throttledChannels = new Map<string, { until: number; retryAfterSeconds: number }>();

  /** Until when (real time, ms) every Web API call answers HTTP 500, as in a Slack outage. */
  outageUntil = 0;

  throttleChannel(channel: string, retryAfterSeconds: number, until: number): void {
    this.throttledChannels.set(channel, { until, retryAfterSeconds });
  }

  takeChannelRateLimit(channel: unknown, now: number): number | undefined {
    if (typeof channel !== 'string') return undefined;
    const throttle = this.throttledChannels.get(channel);
    if (throttle === undefined || now >= throttle.until) return undefined;
    return throttle.retryAfterSeconds;
  }

  failNext(method: string, error: string, times: number): void {
    this.push(this.failures, method, error, times);
  }

  rateLimitNext(method: string, retryAfterSeconds: number, times: number): void {
    this.push(this.rateLimits, method, retryAfterSeconds, times);
  }

  takeFailure(method: string): string | undefined {
    return this.take(this.failures, method);
  }

  takeRateLimit(method: string): number | undefined {
    return this.take(this.rateLimits, method);
  }

  private push<T>(map: Map<string, Queued<T>[]>, method: string, value: T, times: number): void {
    if (times <= 0) return;
    const queue = map.get(method) ?? [];
    queue.push({ value, remaining: times });
    map.set(method, queue);
  }

  private take<T>(map: Map<string, Queued<T>[]>, method: string): T | undefined {
    const head = map.get(method)?.[0];
    if (head === undefined) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) map.get(method)?.shift();
    return head.value;
  }
}

/** A response_url takes 5 posts within 30 minutes, as Slack's do. */
const RESPONSE_URL_USES = 5;
const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;

export function createRequestHandler(state: SlackState, injections: Injections): (req: IncomingMessage, res: ServerResponse) => void {
  async function handleApi(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    const body = await readBody(req);
    const time = state.now();
    const parsed = parseParams(req, body);
    const params = parsed.ok ? parsed.params : {};
    const reply = (status: number, payload: Record<string, unknown>, headers: Record<string, string> = {}): void => {
      const error = typeof payload.error === 'string' ? payload.error : undefined;
      state.recordCall({ method, args: recordableArgs(params), time, status, ok: payload.ok === true, ...(error !== undefined ? { error } : {}) });
      sendJson(res, status, payload, headers);
    };
    const fail = (error: string): void => reply(200, { ok: false, error });

    const delay = injections.delays.get(method);
    if (delay !== undefined && delay > 0) await sleep(delay);
    if (!parsed.ok) return fail(parsed.error);
    // An app-level method takes its token from the Authorization header only, as Slack's does.
    const appLevel = APP_TOKEN_METHODS.has(method);
    const token = bearerToken(req) ?? (!appLevel && typeof params.token === 'string' ? params.token : undefined);
    if (token === undefined || token === '') return fail('not_authed');
    const kind = token === state.id.botToken ? 'bot' : token === state.id.appToken ? 'app' : undefined;
    if (kind === undefined) return fail('invalid_auth');
    if (kind !== (appLevel ? 'app' : 'bot')) return fail('not_allowed_token_type');
    if (Date.now() < injections.outageUntil) return reply(500, { ok: false, error: 'internal_error' });
    const retryAfter = injections.takeRateLimit(method) ?? injections.takeChannelRateLimit(params.channel, Date.now());
    if (retryAfter !== undefined) return reply(429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfter) });
    const injected = injections.takeFailure(method);
    if (injected !== undefined) return fail(injected);
    const handler = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    if (handler === undefined) return fail('unknown_method');
    try {
      reply(200, { ok: true, ...handler({ state, args: new Args(params) }) });
    } catch (error) {
      if (error instanceof SlackApiError) return reply(200, { ok: false, error: error.error, ...error.extra });
      // A bug in the fake itself: make it loud rather than look like a Slack answer.
      console.error(`fake-slack: ${method} threw`, error);
      reply(500, { ok: false, error: 'fake_slack_internal_error', detail: String(error) });
    }
  }

  async function handleUpload(req: IncomingMessage, res: ServerResponse, fileId: string): Promise<void> {
    const body = await readBody(req);
    const upload = state.uploads.get(fileId);
    if (upload === undefined) return sendText(res, 404, 'file_not_found');
    const contentType = req.headers['content-type'] ?? '';
    let data = body;
    if (/^multipart\/form-data/i.test(contentType)) {
      const parts = parseMultipart(body, contentType);
      data = (parts.find((p) => p.filename !== undefined) ?? parts[0])?.data ?? Buffer.alloc(0);
    }
    upload.content = data;
    state.changed();
    sendText(res, 200, `OK - ${data.length}`);
  }

  async function handleResponseUrl(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const raw = await readBody(req);
    const hook = state.responseUrls.get(id);
    if (hook === undefined) return sendJson(res, 404, { ok: false, error: 'no_active_hooks' });
    if (state.now() - hook.issued > RESPONSE_URL_TTL_MS) return sendJson(res, 404, { ok: false, error: 'expired_url' });
    if (hook.uses >= RESPONSE_URL_USES) return sendJson(res, 404, { ok: false, error: 'used_url' });
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = undefined;
    }
    if (!isRecord(body)) return sendJson(res, 400, { ok: false, error: 'invalid_payload' });
    hook.uses += 1;
    state.responses.push({ responseUrlId: id, body, time: state.now(), context: hook.context });
    state.applyReply(hook.context, body, 'response_url');
    sendJson(res, 200, { ok: true });
  }

  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const [, root, rest] = /^\/([^/]+)\/(.+)$/.exec(path) ?? [];
    const route = root === 'api' && rest !== undefined ? handleApi(req, res, rest)
      : root === 'upload' && rest !== undefined && req.method === 'POST' ? handleUpload(req, res, rest)
        : root === 'response' && rest !== undefined && req.method === 'POST' ? handleResponseUrl(req, res, rest)
          : undefined;
    if (route === undefined) {
      req.resume();
      sendText(res, 404, 'not found');
      return;
    }
    route.catch((error: unknown) => {
      console.error('fake-slack: request failed', error);
      if (!res.headersSent) sendText(res, 500, String(error));
    });
  };
}

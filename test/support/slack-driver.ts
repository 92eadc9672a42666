// Sends the running bot what Slack sends: signed slash commands, interactivity payloads and
// Events API callbacks to `POST {botUrl}/slack/events`, with response_urls and trigger_ids the
// fake Slack knows about.
import { createHmac, randomBytes } from 'node:crypto';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { FakeSlack } from './fake-slack.js';
import {
  actionTs, eventEnvelope, findElement, interactivityBody, slashCommandBody, slashCommandFields, stateValues,
  type AppIdentity, type SlashCommandInput, type StateValue,
} from './fake-slack/payloads.js';
import { isRecord } from './fake-slack/args.js';
import type { FakeMessage, ResponseRecord } from './fake-slack/types.js';

export type { SlashCommandInput, StateValue } from './fake-slack/payloads.js';

export interface SlackDriverOptions {
  /** The bot's base URL (`http://127.0.0.1:3000`); requests go to `{botUrl}{path}`. */
  botUrl: string;
  signingSecret: string;
  fake: FakeSlack;
  path?: string;
  verificationToken?: string;
  /** Keep-alive sockets to the bot; enough for 100 concurrent requests by default. */
  maxSockets?: number;
  timeoutMs?: number;
}

/** `bad`: signed with another secret; `stale`: validly signed 6 minutes ago; `none`: no signature headers. */
export type SignatureMode = 'valid' | 'bad' | 'stale' | 'none';

export interface SendOptions {
  signature?: SignatureMode;
  /** Sign with this X-Slack-Request-Timestamp (seconds) instead of now. */
  timestampSec?: number;
  headers?: Record<string, string>;
}

export interface DriverResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the answer is JSON, else the text. */
  body: unknown;
  text: string;
  /** Round trip, milliseconds. */
  ms: number;
}

export interface InteractionResult extends DriverResponse {
  triggerId: string;
  /** Absent for actions inside a modal, which have no response_url. */
  responseUrlId: string;
  responseUrl: string;
  /** Posts the bot made to this interaction's response_url so far. */
  responses(): ResponseRecord[];
  waitForResponses(n?: number, timeoutMs?: number): Promise<ResponseRecord[]>;
}

export interface BlockActionInput {
  userId: string;
  actionId: string;
  value?: string;
  channelId?: string;
  blockId?: string;
  /** The message holding the button; its stored blocks fill in `block_id` and the button text. */
  messageTs?: string;
  /** A view id from `fake.openedViews()` (or a view object) for an action inside a modal. */
  view?: string | Record<string, unknown>;
  /** For non-button elements: the action object fields (`selected_option`, …). */
  actionFields?: Record<string, unknown>;
}

export interface ViewSubmissionInput {
  userId: string;
  /** A view id from `fake.openedViews()`: its callback_id, metadata, blocks and hash are used. */
  viewId?: string;
  callbackId?: string;
  privateMetadata?: string;
  values: Record<string, Record<string, StateValue>>;
}

export interface EventOptions extends SendOptions {
  /** Reuse the id of an earlier delivery for a retry. */
  eventId?: string;
  retryNum?: number;
  retryReason?: string;
  eventTime?: number;
}

export interface EventResult extends DriverResponse {
  eventId: string;
  envelope: Record<string, unknown>;
}

export class SlackDriver {
  readonly endpoint: URL;
  private readonly agent: Agent;
  private readonly fake: FakeSlack;
  private readonly signingSecret: string;
  private readonly timeoutMs: number;
  private readonly app: AppIdentity;

  constructor(opts: SlackDriverOptions) {
    this.endpoint = new URL(opts.path ?? '/slack/events', opts.botUrl);
    this.agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 128 });
    this.fake = opts.fake;
    this.signingSecret = opts.signingSecret;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.app = {
      teamId: opts.fake.teamId, teamDomain: opts.fake.teamDomain, appId: opts.fake.appId, botUserId: opts.fake.botUserId,
      verificationToken: opts.verificationToken ?? 'fakeVerificationToken0000',
    };
  }

  /** Slack's signature: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`. */
  sign(body: string, timestampSec: number, secret = this.signingSecret): string {
    return `v0=${createHmac('sha256', secret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
  }

  async slashCommand(input: SlashCommandInput, opts: SendOptions = {}): Promise<InteractionResult> {
    const channel = this.fake.channel(input.channelId);
    const hook = this.fake.issueResponseUrl({ channelId: input.channelId, userId: input.userId });
    const triggerId = this.fake.issueTrigger(input.userId);
    const body = slashCommandBody(
      this.app,
      slashCommandFields(input, {
        teamId: this.app.teamId,
        userName: this.fake.user(input.userId)?.name,
        channel,
        responseUrl: hook.url,
        triggerId,
      }),
    );
    const response = await this.send(body, 'application/x-www-form-urlencoded', opts);
    const reply = response.body;
    if (response.status === 200 && isRecord(reply) && (typeof reply.text === 'string' || Array.isArray(reply.blocks))) {
      this.fake.recordAckReply({ channelId: input.channelId, userId: input.userId }, reply);
    }
    return this.interaction(response, triggerId, hook);
  }

  async blockAction(input: BlockActionInput, opts: SendOptions = {}): Promise<InteractionResult> {
    const user = this.fake.user(input.userId);
    const triggerId = this.fake.issueTrigger(input.userId);
    const view = typeof input.view === 'string' ? this.fake.openedViews().find((v) => v.id === input.view)?.view : input.view;
    const stored = input.channelId !== undefined && input.messageTs !== undefined
      ? this.fake.messages(input.channelId, { includeSystem: true }).find((m) => m.ts === input.messageTs)
      : undefined;
    const message = stored !== undefined ? withoutChannel(stored)
      : input.messageTs !== undefined ? { type: 'message', ts: input.messageTs, text: '' } : undefined;
    const found = findElement(view !== undefined ? view.blocks : message?.blocks, input.actionId);
    const hook = message !== undefined
      ? this.fake.issueResponseUrl({ channelId: input.channelId, userId: input.userId, messageTs: input.messageTs })
      : { id: '', url: '' };
    const channel = input.channelId === undefined ? undefined : this.fake.channel(input.channelId);
    const payload: Record<string, unknown> = {
      type: 'block_actions',
      user: { id: input.userId, username: user?.name ?? input.userId, name: user?.name ?? input.userId, team_id: this.app.teamId },
      api_app_id: this.app.appId,
      token: this.app.verificationToken,
      container: view !== undefined
        ? { type: 'view', view_id: view.id }
        : { type: 'message', message_ts: input.messageTs, channel_id: input.channelId, is_ephemeral: false },
      trigger_id: triggerId,
      team: { id: this.app.teamId, domain: this.app.teamDomain },
      enterprise: null,
      is_enterprise_install: false,
      ...(input.channelId !== undefined ? { channel: { id: input.channelId, name: channel?.is_im ? 'directmessage' : channel?.name ?? 'unknown' } } : {}),
      ...(message !== undefined ? { message } : {}),
      ...(view !== undefined ? { view } : {}),
      state: { values: {} },
      ...(hook.url !== '' ? { response_url: hook.url } : {}),
      actions: [{
        action_id: input.actionId,
        block_id: input.blockId ?? found?.blockId ?? 'actions',
        ...(found?.element.text !== undefined ? { text: found.element.text } : {}),
        ...(input.value !== undefined ? { value: input.value } : typeof found?.element.value === 'string' ? { value: found.element.value } : {}),
        type: typeof found?.element.type === 'string' ? found.element.type : 'button',
        action_ts: actionTs(Date.now()),
        ...input.actionFields,
      }],
    };
    const response = await this.send(interactivityBody(payload), 'application/x-www-form-urlencoded', opts);
    return this.interaction(response, triggerId, hook);
  }

  /** Returns the bot's HTTP answer: `{ response_action: 'errors', errors }` arrives in `body`. */
  async viewSubmission(input: ViewSubmissionInput, opts: SendOptions = {}): Promise<DriverResponse & { triggerId: string }> {
    const user = this.fake.user(input.userId);
    const opened = input.viewId === undefined ? undefined : this.fake.openedViews().find((v) => v.id === input.viewId)?.view;
    const viewId = opened?.id ?? `V${randomBytes(5).toString('hex').toUpperCase()}`;
    const triggerId = this.fake.issueTrigger(input.userId);
    const payload = {
      type: 'view_submission',
      team: { id: this.app.teamId, domain: this.app.teamDomain },
      user: { id: input.userId, username: user?.name ?? input.userId, name: user?.name ?? input.userId, team_id: this.app.teamId },
      api_app_id: this.app.appId,
      token: this.app.verificationToken,
      trigger_id: triggerId,
      view: {
        id: viewId,
        team_id: this.app.teamId,
        type: 'modal',
        blocks: opened?.blocks ?? [],
        private_metadata: input.privateMetadata ?? opened?.private_metadata ?? '',
        callback_id: input.callbackId ?? opened?.callback_id ?? '',
        state: { values: stateValues(input.values) },
        hash: opened?.hash ?? `${Math.floor(Date.now() / 1000)}.${randomBytes(4).toString('hex')}`,
        title: opened?.title ?? { type: 'plain_text', text: 'Modal' },
        ...(opened?.submit !== undefined ? { submit: opened.submit } : {}),
        clear_on_close: false,
        notify_on_close: false,
        previous_view_id: null,
        root_view_id: opened?.root_view_id ?? viewId,
        app_id: this.app.appId,
        external_id: opened?.external_id ?? '',
        app_installed_team_id: this.app.teamId,
        bot_id: this.fake.botId,
      },
      response_urls: [],
      is_enterprise_install: false,
      enterprise: null,
    };
    const response = await this.send(interactivityBody(payload), 'application/x-www-form-urlencoded', opts);
    return { ...response, triggerId };
  }

  /** An Events API delivery; pass `retryNum` (and the first delivery's `eventId`) for a retry. */
  async event(event: object, opts: EventOptions = {}): Promise<EventResult> {
    const eventId = opts.eventId ?? `Ev${randomBytes(5).toString('hex').toUpperCase()}`;
    const inner: Record<string, unknown> = { ...event };
    inner.event_ts ??= actionTs(Date.now());
    const envelope = eventEnvelope(this.app, { event: inner, eventId, eventTime: opts.eventTime ?? Math.floor(Date.now() / 1000) });
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.retryNum !== undefined) {
      headers['x-slack-retry-num'] = String(opts.retryNum);
      headers['x-slack-retry-reason'] = opts.retryReason ?? 'http_timeout';
    }
    const response = await this.send(JSON.stringify(envelope), 'application/json', { ...opts, headers });
    return { ...response, eventId, envelope };
  }

  urlVerification(challenge: string, opts: SendOptions = {}): Promise<DriverResponse> {
    const body = JSON.stringify({ token: this.app.verificationToken, challenge, type: 'url_verification' });
    return this.send(body, 'application/json', opts);
  }

  /** Signs (per `opts.signature`) and posts any body. */
  send(body: string, contentType: string, opts: SendOptions = {}): Promise<DriverResponse> {
    const mode = opts.signature ?? 'valid';
    const timestamp = opts.timestampSec ?? Math.floor(Date.now() / 1000) - (mode === 'stale' ? 6 * 60 : 0);
    const headers: Record<string, string> = { 'content-type': contentType, 'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)' };
    if (mode !== 'none') {
      headers['x-slack-request-timestamp'] = String(timestamp);
      headers['x-slack-signature'] = this.sign(body, timestamp, mode === 'bad' ? `${this.signingSecret}-wrong` : this.signingSecret);
    }
    return this.post(body, { ...headers, ...opts.headers });
  }

  close(): void {
    this.agent.destroy();
  }

  private interaction(response: DriverResponse, triggerId: string, hook: { id: string; url: string }): InteractionResult {
    return {
      ...response,
      triggerId,
      responseUrlId: hook.id,
      responseUrl: hook.url,
      responses: () => (hook.id === '' ? [] : this.fake.responses(hook.id)),
      waitForResponses: (n = 1, timeoutMs = 2000) => this.fake.waitForResponses(hook.id, n, timeoutMs),
    };
  }

  private post(body: string, headers: Record<string, string>): Promise<DriverResponse> {
    const started = performance.now();
    const attempt = (mayRetry: boolean): Promise<DriverResponse> => new Promise((resolve, reject) => {
      const req = request(this.endpoint, {
        method: 'POST', agent: this.agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body: parseBody(text, res.headers['content-type']), ms: performance.now() - started });
        });
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer from ${this.endpoint.href} in ${this.timeoutMs} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed meanwhile: Node's documented cue to retry once.
        if (mayRetry && req.reusedSocket && error.code === 'ECONNRESET') attempt(false).then(resolve, reject);
        else reject(error);
      });
      req.end(body);
    });
    return attempt(true);
  }
}

function parseBody(text: string, contentType: string | undefined): unknown {
  if (text === '') return '';
  if ((contentType ?? '').includes('json') || /^[[{]/.test(text.trimStart())) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

function withoutChannel(message: FakeMessage): Record<string, unknown> & { blocks?: unknown[] } {
  const { channel: _channel, ...rest } = message;
  return rest;
}

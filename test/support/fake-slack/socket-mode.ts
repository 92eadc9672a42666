// Socket Mode on the fake's own port: `apps.connections.open` hands out a one-time
// `ws://…/link/?ticket=…&app_id=…`; the app connects, gets `hello`, and receives envelopes
// (`slash_commands`, `interactive`, `events_api`) that it acknowledges with
// `{ envelope_id, payload? }` on the same connection. The server pings each connection, answers
// the client's pings, can ask it to reconnect (`type: disconnect`) and records every message both
// ways. See https://docs.slack.dev/apis/events-api/using-socket-mode/.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { isRecord } from './args.js';
import {
  DEFAULT_VERIFICATION_TOKEN, actionTs, eventEnvelope, slashCommandFields, slashCommandPayload, type AppIdentity,
  type SlashCommandInput,
} from './payloads.js';
import type { SlackState } from './state.js';
import type { ResponseRecord } from './types.js';
import { acceptWebSocket, refuseUpgrade, type CloseInfo, type WebSocketConnection } from './websocket.js';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';
export type DisconnectReason = 'refresh_requested' | 'warning' | 'link_disabled';

export interface SocketModeSettings {
  /** How often the server pings each connection; 0 for never. Default 5 s. */
  pingIntervalMs?: number;
  /** How long a delivery waits for its ack before it fails (Slack gives up after 3 s). Default 3 s. */
  ackTimeoutMs?: number;
}

export interface SocketConnectionInfo {
  id: string;
  openedAt: number;
  /** Set when the TCP connection is gone. */
  closedAt: number | null;
  close: CloseInfo | null;
  /** Asked to reconnect with `type: disconnect`: no more envelopes go to it. */
  retiring: boolean;
  pingsSent: number;
  pongsReceived: number;
  /** Pings the app sent (each answered with a pong). */
  pingsReceived: number;
}

export interface SocketMessageRecord {
  connectionId: string;
  direction: 'to_app' | 'from_app';
  /** Parsed JSON, or `{ unparsed: text }` when the app sent something that is not a JSON object. */
  message: Record<string, unknown>;
  time: number;
}

export interface AckResult {
  envelopeId: string;
  /** The `payload` of the app's ack: `{}` (or absent) for a bare ack. */
  ackPayload: Record<string, unknown> | undefined;
  connectionId: string;
  /** From sending the envelope to reading its ack. */
  ms: number;
}

export interface DeliverOptions {
  retryAttempt?: number;
  retryReason?: string;
  timeoutMs?: number;
}

export type SocketSlashCommandInput = SlashCommandInput;

export interface SocketCommandResult extends AckResult {
  responseUrlId: string;
  responseUrl: string;
  triggerId: string;
  /** Posts the app made to this command's response_url so far. */
  responses(): ResponseRecord[];
}

export interface SocketEventOptions extends DeliverOptions {
  /** Reuse the id of an earlier delivery for a redelivery. */
  eventId?: string;
  eventTime?: number;
}

export interface SocketEventResult extends AckResult {
  eventId: string;
  envelope: Record<string, unknown>;
}

interface Connection {
  info: SocketConnectionInfo;
  ws: WebSocketConnection;
  pinger: NodeJS.Timeout | undefined;
  pending: Map<string, (ack: Record<string, unknown> | undefined) => void>;
}

const HOST = 'applink-fake-1';

export class SocketModeServer {
  private readonly connections = new Map<string, Connection>();
  private readonly messages: SocketMessageRecord[] = [];
  private readonly pingIntervalMs: number;
  private readonly ackTimeoutMs: number;
  private nextConnection = 0;
  private turn = 0;

  constructor(
    private readonly state: SlackState,
    settings: SocketModeSettings = {},
  ) {
    this.pingIntervalMs = settings.pingIntervalMs ?? 5_000;
    this.ackTimeoutMs = settings.ackTimeoutMs ?? 3_000;
  }

  /** The http server's `upgrade` listener: only `/link/?ticket=…` with a ticket not used before. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (!/^\/link\/?$/.test(url.pathname) || !this.state.socketTickets.delete(ticket)) {
      refuseUpgrade(socket, 401, 'Unauthorized', 'invalid or used ticket');
      return;
    }
    this.nextConnection += 1;
    const id = `conn-${this.nextConnection}`;
    const info: SocketConnectionInfo = {
      id, openedAt: this.state.now(), closedAt: null, close: null, retiring: false, pingsSent: 0, pongsReceived: 0, pingsReceived: 0,
    };
    const ws = acceptWebSocket(req, socket, head, {
      text: (text) => this.receive(connection, text),
      ping: () => { info.pingsReceived += 1; },
      pong: () => { info.pongsReceived += 1; },
      closed: (close) => this.closed(connection, close),
    });
    if (ws === null) return;
    const connection: Connection = { info, ws, pinger: undefined, pending: new Map() };
    this.connections.set(id, connection);
    if (this.pingIntervalMs > 0) {
      connection.pinger = setInterval(() => {
        info.pingsSent += 1;
        ws.ping(Buffer.from(`Ping from ${HOST}`));
      }, this.pingIntervalMs);
      connection.pinger.unref();
    }
    this.send(connection, {
      type: 'hello',
      num_connections: this.open().length,
      debug_info: { host: HOST, build_number: 1, approximate_connection_time: 18_060 },
      connection_info: { app_id: this.state.id.appId },
    });
    this.state.changed();
  }

  connectionsInfo(): SocketConnectionInfo[] {
    return [...this.connections.values()].map((c) => structuredClone(c.info));
  }

  messageLog(): SocketMessageRecord[] {
    return structuredClone(this.messages);
  }

  /** Sends one envelope to an open connection (round robin, as Slack spreads them) and waits for its ack. */
  deliver(type: EnvelopeType, payload: Record<string, unknown>, acceptsResponsePayload: boolean, opts: DeliverOptions = {}): Promise<AckResult> {
    const targets = this.open().filter((c) => !c.info.retiring);
    const connection = targets[this.turn++ % Math.max(targets.length, 1)];
    if (connection === undefined) return Promise.reject(new Error('fake-slack: no Socket Mode connection to deliver to'));
    const envelopeId = randomUUID();
    const timeoutMs = opts.timeoutMs ?? this.ackTimeoutMs;
    const started = performance.now();
    return new Promise<AckResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        connection.pending.delete(envelopeId);
        reject(new Error(`fake-slack: no ack for ${type} envelope ${envelopeId} within ${timeoutMs} ms`));
      }, timeoutMs);
      connection.pending.set(envelopeId, (ack) => {
        clearTimeout(timer);
        if (ack === undefined) reject(new Error(`fake-slack: ${connection.info.id} closed before acking ${type} envelope ${envelopeId}`));
        else resolve({ envelopeId, ackPayload: isRecord(ack.payload) ? ack.payload : undefined, connectionId: connection.info.id, ms: performance.now() - started });
      });
      this.send(connection, {
        envelope_id: envelopeId,
        type,
        accepts_response_payload: acceptsResponsePayload,
        payload,
        ...(type === 'events_api' ? { retry_attempt: opts.retryAttempt ?? 0, retry_reason: opts.retryReason ?? '' } : {}),
      });
    });
  }

  async slashCommand(input: SocketSlashCommandInput, opts: DeliverOptions = {}): Promise<SocketCommandResult> {
    const { state } = this;
    const channel = state.findChannel(input.channelId)?.info;
    const context = { channelId: input.channelId, userId: input.userId };
    const hook = state.issueResponseUrl(context);
    const triggerId = state.issueTrigger(input.userId);
    const payload = slashCommandPayload(
      this.app(),
      slashCommandFields(input, {
        teamId: state.id.teamId,
        userName: state.users.get(input.userId)?.name,
        channel,
        responseUrl: hook.url,
        triggerId,
      }),
    );
    const ack = await this.deliver('slash_commands', payload, true, opts);
    // The ack's payload is what the user sees, as the HTTP answer's body is.
    const reply = ack.ackPayload;
    if (reply !== undefined && (typeof reply.text === 'string' || Array.isArray(reply.blocks))) state.applyReply(context, reply, 'ack');
    return {
      ...ack, responseUrlId: hook.id, responseUrl: hook.url, triggerId,
      responses: () => structuredClone(state.responses.filter((r) => r.responseUrlId === hook.id)),
    };
  }

  async event(event: object, opts: SocketEventOptions = {}): Promise<SocketEventResult> {
    const eventId = opts.eventId ?? `Ev${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
    const inner: Record<string, unknown> = { ...event };
    inner.event_ts ??= actionTs(this.state.now());
    const envelope = eventEnvelope(this.app(), { event: inner, eventId, eventTime: opts.eventTime ?? this.state.nowSec() });
    const retry = (opts.retryAttempt ?? 0) > 0 ? { retryReason: opts.retryReason ?? 'timeout' } : {};
    const ack = await this.deliver('events_api', envelope, false, { ...opts, ...retry });
    return { ...ack, eventId, envelope };
  }

  /** A block_actions / view_submission / … payload; only those Slack takes an answer for accept a response payload. */
  interactive(payload: Record<string, unknown>, opts: DeliverOptions = {}): Promise<AckResult> {
    const answerable = ['view_submission', 'block_suggestion'].includes(String(payload.type));
    return this.deliver('interactive', payload, answerable, opts);
  }

  /** `type: disconnect` to every open connection; they get no more envelopes and should reconnect. */
  requestReconnect(reason: DisconnectReason = 'refresh_requested'): void {
    for (const connection of this.open()) {
      connection.info.retiring = true;
      this.send(connection, { type: 'disconnect', reason, debug_info: { host: HOST } });
    }
    this.state.changed();
  }

  /** Drops every connection without a closing handshake (Slack restarting, a network cut). */
  dropConnections(): void {
    for (const connection of this.open()) connection.ws.terminate();
  }

  close(): void {
    for (const connection of this.connections.values()) {
      clearInterval(connection.pinger);
      connection.ws.terminate();
    }
  }

  private open(): Connection[] {
    return [...this.connections.values()].filter((c) => c.ws.open);
  }

  private app(): AppIdentity {
    const { teamId, teamDomain, appId, botUserId } = this.state.id;
    return { teamId, teamDomain, appId, botUserId, verificationToken: DEFAULT_VERIFICATION_TOKEN };
  }

  private send(connection: Connection, message: Record<string, unknown>): void {
    this.messages.push({ connectionId: connection.info.id, direction: 'to_app', message, time: this.state.now() });
    connection.ws.sendText(JSON.stringify(message));
  }

  private receive(connection: Connection, text: string): void {
    let message: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(text);
      message = isRecord(parsed) ? parsed : { unparsed: text };
    } catch {
      message = { unparsed: text };
    }
    this.messages.push({ connectionId: connection.info.id, direction: 'from_app', message, time: this.state.now() });
    const envelopeId = message.envelope_id;
    const settle = typeof envelopeId === 'string' ? connection.pending.get(envelopeId) : undefined;
    if (settle !== undefined && typeof envelopeId === 'string') {
      connection.pending.delete(envelopeId);
      settle(message);
    }
    this.state.changed();
  }

  private closed(connection: Connection, close: CloseInfo): void {
    clearInterval(connection.pinger);
    connection.info.closedAt = this.state.now();
    connection.info.close = close;
    for (const settle of connection.pending.values()) settle(undefined);
    connection.pending.clear();
    this.state.changed();
  }
}

import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { Duplex } from 'node:stream';
import { App, LogLevel, SocketModeReceiver, type Logger } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from './fake-slack.js';
import { acceptKey } from './fake-slack/websocket.js';

let fake: FakeSlack;
let general: string;

beforeEach(async () => {
  fake = await startFakeSlack({ socketMode: { pingIntervalMs: 100 } });
  fake.addUser({ id: 'U0ALICE', name: 'alice', tz: 'Africa/Nairobi' });
  general = fake.addChannel({ name: 'general', members: ['U0ALICE', fake.botUserId] }).id;
});

afterEach(async () => {
  await fake.close();
});

const noop = (): void => undefined;
const quiet: Logger = {
  debug: noop, info: noop, warn: noop, error: noop, setLevel: noop, setName: noop, getLevel: () => LogLevel.ERROR,
};

async function connectionsOpen(token: string | undefined, body = ''): Promise<Record<string, unknown>> {
  const res = await fetch(`${fake.apiUrl}apps.connections.open`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}) },
  });
  return (await res.json()) as Record<string, unknown>;
}

// ── a bare WebSocket client, to hold the server to RFC 6455 ────────────────────────────────────

interface RawUpgrade {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  socket?: Duplex;
  key: string;
}

function rawUpgrade(url: string, headers: Record<string, string> = {}): Promise<RawUpgrade> {
  const key = randomBytes(16).toString('base64');
  const target = new URL(url.replace(/^ws/, 'http'));
  return new Promise((resolve, reject) => {
    const req = request(target, {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': key, 'sec-websocket-version': '13', ...headers },
    });
    req.on('upgrade', (res, socket, head) => {
      if (head.length > 0) socket.unshift(head); // the hello may come with the 101
      resolve({ status: res.statusCode ?? 0, headers: res.headers, socket, key });
    });
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, key });
    });
    req.on('error', reject);
    req.end();
  });
}

/** A client frame: always masked, unless a test wants to break the rule. */
function clientFrame(opcode: number, payload: Buffer, { fin = true, masked = true } = {}): Buffer {
  const mask = masked ? randomBytes(4) : Buffer.alloc(0);
  const length = payload.length < 126 ? Buffer.from([payload.length]) : Buffer.from([126, payload.length >> 8, payload.length & 0xff]);
  length[0] = length[0]! | (masked ? 0x80 : 0);
  const body = Buffer.from(payload.map((byte, i) => (masked ? byte ^ mask[i % 4]! : byte)));
  return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode]), length, mask, body]);
}

interface ServerFrame {
  opcode: number;
  payload: Buffer;
}

/** Reads unmasked server frames (each under 64 KiB) from the socket. */
function frameReader(socket: Duplex): { next(timeoutMs?: number): Promise<ServerFrame>; ended: Promise<void> } {
  let buffer = Buffer.alloc(0);
  const frames: ServerFrame[] = [];
  const waiters: ((frame: ServerFrame) => void)[] = [];
  const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (buffer.length < 2) return;
      expect(buffer[1]! & 0x80).toBe(0); // a server never masks
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        length = buffer.readUInt16BE(2);
        offset = 4;
      }
      if (buffer.length < offset + length) return;
      const frame = { opcode: buffer[0]! & 0x0f, payload: buffer.subarray(offset, offset + length) };
      buffer = buffer.subarray(offset + length);
      const waiter = waiters.shift();
      if (waiter) waiter(frame);
      else frames.push(frame);
    }
  });
  return {
    ended,
    next: (timeoutMs = 2000) => {
      const queued = frames.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no frame from the server')), timeoutMs);
        waiters.push((frame) => {
          clearTimeout(timer);
          resolve(frame);
        });
      });
    },
  };
}

async function openRaw(): Promise<{ socket: Duplex; frames: ReturnType<typeof frameReader>; hello: Record<string, unknown> }> {
  const { url } = (await connectionsOpen(fake.appToken)) as { url: string };
  const upgraded = await rawUpgrade(url);
  expect(upgraded.status).toBe(101);
  const socket = upgraded.socket!;
  const frames = frameReader(socket);
  const hello = await frames.next();
  return { socket, frames, hello: JSON.parse(hello.payload.toString('utf8')) as Record<string, unknown> };
}

describe('fake Slack Socket Mode: apps.connections.open', () => {
  it('takes only the app-level token, from the Authorization header', async () => {
    const opened = await connectionsOpen(fake.appToken);
    expect(opened).toEqual({ ok: true, url: expect.stringMatching(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[\w-]+&app_id=A0FIREBRK$/) });
    expect(await connectionsOpen(fake.botToken)).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect(await connectionsOpen('xapp-1-nope')).toEqual({ ok: false, error: 'invalid_auth' });
    expect(await connectionsOpen(undefined)).toEqual({ ok: false, error: 'not_authed' });
    expect(await connectionsOpen(undefined, `token=${fake.appToken}`)).toEqual({ ok: false, error: 'not_authed' });
    // …and the app token is no bot token.
    const authTest = await fetch(`${fake.apiUrl}auth.test`, { method: 'POST', headers: { authorization: `Bearer ${fake.appToken}` } });
    expect(await authTest.json()).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect(fake.calls('apps.connections.open').map((c) => c.error ?? 'ok')).toEqual(['ok', 'not_allowed_token_type', 'invalid_auth', 'not_authed', 'not_authed']);
  });

  it('upgrades a ticket once, with the RFC 6455 handshake, and says hello', async () => {
    const { url } = (await connectionsOpen(fake.appToken)) as { url: string };
    const first = await rawUpgrade(url);
    expect(first.status).toBe(101);
    expect(first.headers['sec-websocket-accept']).toBe(acceptKey(first.key));
    expect(first.headers['sec-websocket-extensions']).toBeUndefined();
    const hello = JSON.parse((await frameReader(first.socket!).next()).payload.toString('utf8')) as unknown;
    expect(hello).toEqual({
      type: 'hello', num_connections: 1,
      debug_info: { host: expect.any(String), build_number: expect.any(Number), approximate_connection_time: expect.any(Number) },
      connection_info: { app_id: fake.appId },
    });
    expect((await rawUpgrade(url)).status).toBe(401);
    expect((await rawUpgrade(url.replace(/ticket=[^&]+/, 'ticket=made-up'))).status).toBe(401);
    const { url: fresh } = (await connectionsOpen(fake.appToken)) as { url: string };
    expect((await rawUpgrade(fresh, { 'sec-websocket-version': '8' })).status).toBe(400);
    first.socket!.destroy();
  });

  it('answers pings, reassembles fragments, and fails unmasked frames with 1002', async () => {
    const { socket, frames } = await openRaw();
    socket.write(clientFrame(0x9, Buffer.from('hi')));
    let frame = await frames.next();
    while (frame.opcode === 0x9) frame = await frames.next(); // the server's own pings
    expect(frame).toEqual({ opcode: 0xa, payload: Buffer.from('hi') });

    socket.write(clientFrame(0x1, Buffer.from('{"envelope_id":'), { fin: false }));
    socket.write(clientFrame(0x0, Buffer.from('"x"}')));
    await fake.waitFor(() => fake.socketMessages().find((m) => m.direction === 'from_app'));
    expect(fake.socketMessages().filter((m) => m.direction === 'from_app').map((m) => m.message)).toEqual([{ envelope_id: 'x' }]);

    socket.write(clientFrame(0x1, Buffer.from('{}'), { masked: false }));
    do frame = await frames.next(); while (frame.opcode === 0x9);
    expect(frame.opcode).toBe(0x8);
    expect(frame.payload.readUInt16BE(0)).toBe(1002);
    await frames.ended;
    expect((await fake.socketClosed()).close).toMatchObject({ code: 1002, initiatedBy: 'server' });
  });

  it('echoes a client close frame and closes the TCP connection first', async () => {
    const { socket, frames } = await openRaw();
    const body = Buffer.alloc(2);
    body.writeUInt16BE(1000);
    socket.write(clientFrame(0x8, body));
    let frame = await frames.next();
    while (frame.opcode === 0x9) frame = await frames.next();
    expect(frame.opcode).toBe(0x8);
    expect(frame.payload.readUInt16BE(0)).toBe(1000);
    await frames.ended;
    expect((await fake.socketClosed()).close).toEqual({ code: 1000, reason: '', initiatedBy: 'client' });
  });
});

describe('a Bolt app in Socket Mode against the fake', () => {
  it('connects with the app token, takes a slash command and answers in its ack', async () => {
    const app = new App({
      token: fake.botToken, appToken: fake.appToken, socketMode: true, clientOptions: { slackApiUrl: fake.apiUrl }, logger: quiet,
    });
    app.command('/incident', async ({ ack, command, respond }) => {
      await ack({ response_type: 'ephemeral', text: `got: ${command.text}` });
      await respond({ text: 'later' });
    });
    await app.start();
    try {
      const connection = await fake.socketConnected();
      expect(fake.calls('apps.connections.open')).toHaveLength(1);
      expect(fake.socketMessages()[0]).toMatchObject({ connectionId: connection.id, direction: 'to_app', message: { type: 'hello' } });

      const result = await fake.sendSlashCommandOverSocket({ text: 'open db', userId: 'U0ALICE', channelId: general });
      expect(result.ackPayload).toEqual({ response_type: 'ephemeral', text: 'got: open db' });
      expect(fake.ephemerals(general, 'U0ALICE')).toEqual([expect.objectContaining({ text: 'got: open db', source: 'ack' })]);
      expect((await fake.waitForResponses(result.responseUrlId)).map((r) => r.body.text)).toEqual(['later']);

      const envelope = fake.socketMessages().find((m) => m.message.type === 'slash_commands')?.message;
      expect(envelope).toMatchObject({
        envelope_id: result.envelopeId, accepts_response_payload: true,
        payload: {
          command: '/incident', text: 'open db', user_id: 'U0ALICE', user_name: 'alice', channel_id: general, channel_name: 'general',
          team_id: fake.teamId, api_app_id: fake.appId, is_enterprise_install: 'false', response_url: result.responseUrl, trigger_id: result.triggerId,
        },
      });
      expect(envelope).not.toHaveProperty('retry_attempt');
    } finally {
      await app.stop();
    }
  });

  it('delivers events and interactions, acked at once, and fails a delivery nobody acks', async () => {
    const app = new App({
      token: fake.botToken, appToken: fake.appToken, socketMode: true, clientOptions: { slackApiUrl: fake.apiUrl }, logger: quiet,
    });
    const seen: { text: string; retryNum: number | undefined }[] = [];
    app.event('message', async ({ event, context }) => {
      seen.push({ text: 'text' in event ? String(event.text) : '', retryNum: context.retryNum });
    });
    app.action('ack_me', async ({ ack }) => ack());
    await app.start();
    try {
      await fake.socketConnected();
      const message = fake.postAsUser(general, 'U0ALICE', 'db-1 is back');
      const first = await fake.sendEventOverSocket(fake.messageEvent(message));
      await fake.sendEventOverSocket(fake.messageEvent(message), { eventId: first.eventId, retryAttempt: 1 });
      await fake.waitFor(() => seen.length === 2);
      expect(seen).toEqual([{ text: 'db-1 is back', retryNum: 0 }, { text: 'db-1 is back', retryNum: 1 }]);
      const envelopes = fake.socketMessages().filter((m) => m.message.type === 'events_api').map((m) => m.message);
      expect(envelopes.map((e) => [e.retry_attempt, e.retry_reason, e.accepts_response_payload])).toEqual([[0, '', false], [1, 'timeout', false]]);
      expect(envelopes.map((e) => (e.payload as { event_id: string }).event_id)).toEqual([first.eventId, first.eventId]);

      const action = await fake.sendInteractiveOverSocket({
        type: 'block_actions', user: { id: 'U0ALICE' }, team: { id: fake.teamId }, api_app_id: fake.appId,
        trigger_id: fake.issueTrigger('U0ALICE'), actions: [{ action_id: 'ack_me', block_id: 'b', type: 'button', action_ts: '1.0' }],
      });
      expect(action.ackPayload).toEqual({});

      await expect(fake.sendSlashCommandOverSocket({ command: '/nobody', userId: 'U0ALICE', channelId: general }, { timeoutMs: 300 }))
        .rejects.toThrow(/no ack for slash_commands envelope/);
    } finally {
      await app.stop();
    }
  });

  it('reconnects when asked to, keeps up ping/pong, and closes cleanly on stop', async () => {
    const receiver = new SocketModeReceiver({
      appToken: fake.appToken, logger: quiet, clientPingTimeout: 300, installerOptions: { clientOptions: { slackApiUrl: fake.apiUrl } },
    });
    const app = new App({ token: fake.botToken, receiver, clientOptions: { slackApiUrl: fake.apiUrl }, logger: quiet });
    app.command('/incident', async ({ ack }) => ack({ text: 'pong' }));
    await app.start();
    try {
      const first = await fake.socketConnected();
      fake.requestSocketReconnect('refresh_requested');
      const second = await fake.socketConnected(5_000);
      expect(second.id).not.toBe(first.id);
      expect(fake.socketConnections().find((c) => c.id === first.id)).toMatchObject({ retiring: true, close: { code: 1000, initiatedBy: 'client' } });
      expect(fake.calls('apps.connections.open')).toHaveLength(2);
      expect((await fake.sendSlashCommandOverSocket({ userId: 'U0ALICE', channelId: general })).connectionId).toBe(second.id);

      await fake.waitFor(() => {
        const live = fake.socketConnections().find((c) => c.id === second.id);
        return live !== undefined && live.pingsReceived > 0 && live.pongsReceived > 0;
      });
    } finally {
      await app.stop();
    }
    expect((await fake.socketClosed()).close).toEqual({ code: 1000, reason: '', initiatedBy: 'client' });
  });
});

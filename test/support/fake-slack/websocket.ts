// The server side of RFC 6455 on a Node `upgrade` socket: the opening handshake, unmasking and
// reassembly of client frames, ping/pong and the closing handshake. Enough for Socket Mode (text
// messages, no extensions), strict where a client could be wrong: unmasked frames, reserved
// bits, oversized or fragmented control frames and invalid UTF-8 fail the connection as the RFC
// says.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** A Socket Mode message is small; anything near this is a client bug. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Once close frames are out (or the connection failed), how long the peer gets to close TCP before we drop it. */
const CLOSE_TIMEOUT_MS = 1_000;

const OP = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface WebSocketHandlers {
  text(data: string): void;
  /** A binary message; Socket Mode never sends one. */
  binary?(data: Buffer): void;
  ping?(data: Buffer): void;
  pong?(data: Buffer): void;
  /** The TCP connection is gone: `code`/`reason` from the close frame, 1006 when there was none. */
  closed(info: CloseInfo): void;
}

export interface CloseInfo {
  code: number;
  reason: string;
  /** Who sent the first close frame; null when the connection ended without one. */
  initiatedBy: 'server' | 'client' | null;
}

export function acceptKey(key: string): string {
  return createHash('sha1').update(`${key}${GUID}`).digest('base64');
}

/** Answers a request that cannot be upgraded and drops the connection. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string, body = ''): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Completes the opening handshake; answers 400 (and returns null) when it is not a valid one. */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, handlers: WebSocketHandlers): WebSocketConnection | null {
  const key = req.headers['sec-websocket-key'];
  const valid = req.method === 'GET'
    && (req.headers.upgrade ?? '').toLowerCase() === 'websocket'
    && /\bupgrade\b/i.test(req.headers.connection ?? '')
    && req.headers['sec-websocket-version'] === '13'
    && typeof key === 'string' && Buffer.from(key, 'base64').length === 16;
  if (!valid) {
    refuseUpgrade(socket, 400, 'Bad Request', 'not a WebSocket handshake');
    return null;
  }
  // No Sec-WebSocket-Extensions in the answer: permessage-deflate, if offered, is declined.
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
  );
  return new WebSocketConnection(socket, head, handlers);
}

export function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.alloc(2) : length < 65_536 ? Buffer.alloc(4) : Buffer.alloc(10);
  header[0] = 0x80 | opcode;
  if (length < 126) header[1] = length;
  else if (length < 65_536) {
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([header, payload]);
}

export class WebSocketConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentOpcode: number | null = null;
  private closeSent = false;
  private closeReceived: { code: number; reason: string } | null = null;
  private initiatedBy: CloseInfo['initiatedBy'] = null;
  private closeTimer: NodeJS.Timeout | undefined;
  private ended = false;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(
    private readonly socket: Duplex,
    head: Buffer,
    private readonly handlers: WebSocketHandlers,
  ) {
    // Bytes that came with the upgrade request go back into the stream, read after the caller has
    // its handle on this connection.
    if (head.length > 0) socket.unshift(head);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
    // Upgraded sockets of an http.Server allow half-open connections: a peer's FIN gets ours.
    socket.on('end', () => socket.end());
    socket.on('close', () => this.finish());
  }

  /** OPEN: neither side has started the closing handshake. */
  get open(): boolean {
    return !this.ended && !this.closeSent && this.closeReceived === null;
  }

  sendText(text: string): void {
    if (this.open) this.socket.write(encodeFrame(OP.text, Buffer.from(text, 'utf8')));
  }

  ping(data: Buffer): void {
    if (this.open) this.socket.write(encodeFrame(OP.ping, data));
  }

  /** Drops the TCP connection without a closing handshake (a crashed or unplugged peer). */
  terminate(): void {
    this.socket.destroy();
  }

  private sendClose(code: number, reason: string): void {
    this.initiatedBy ??= 'server';
    this.closeSent = true;
    const body = Buffer.alloc(2 + Buffer.byteLength(reason));
    body.writeUInt16BE(code, 0);
    body.write(reason, 2, 'utf8');
    this.socket.write(encodeFrame(OP.close, body));
  }

  private armCloseTimer(): void {
    clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(() => this.socket.destroy(), CLOSE_TIMEOUT_MS);
    this.closeTimer.unref();
  }

  private fail(code: number, reason: string): void {
    if (!this.closeSent && !this.ended) this.sendClose(code, reason);
    this.closeReceived ??= { code, reason };
    this.socket.end();
    this.armCloseTimer();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.closeTimer);
    const info = this.closeReceived ?? { code: 1006, reason: '' };
    this.handlers.closed({ ...info, initiatedBy: this.initiatedBy });
  }

  private receive(chunk: Buffer): void {
    if (this.closeReceived !== null) return; // nothing after a close frame counts
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const frame = this.nextFrame();
      if (frame === null || !this.handleFrame(frame)) return;
    }
  }

  /** The next complete frame, unmasked; null until one has fully arrived (or after a failure). */
  private nextFrame(): { fin: boolean; opcode: number; payload: Buffer } | null {
    const buf = this.buffer;
    if (buf.length < 2) return null;
    const b0 = buf[0]!;
    const b1 = buf[1]!;
    if ((b0 & 0x70) !== 0) return this.failed(1002, 'reserved bits set without an extension');
    if ((b1 & 0x80) === 0) return this.failed(1002, 'client frames must be masked');
    let length = b1 & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (buf.length < 4) return null;
      length = buf.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (buf.length < 10) return null;
      const big = buf.readBigUInt64BE(2);
      if (big > BigInt(MAX_MESSAGE_BYTES)) return this.failed(1009, 'message too big');
      length = Number(big);
      offset = 10;
    }
    if (length > MAX_MESSAGE_BYTES) return this.failed(1009, 'message too big');
    if (buf.length < offset + 4 + length) return null;
    const mask = buf.subarray(offset, offset + 4);
    const payload = Buffer.from(buf.subarray(offset + 4, offset + 4 + length));
    for (let i = 0; i < payload.length; i += 1) payload[i] = payload[i]! ^ mask[i % 4]!;
    this.buffer = buf.subarray(offset + 4 + length);
    return { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload };
  }

  private failed(code: number, reason: string): null {
    this.fail(code, reason);
    return null;
  }

  /** False once the connection is closing and later frames must be ignored. */
  private handleFrame({ fin, opcode, payload }: { fin: boolean; opcode: number; payload: Buffer }): boolean {
    if (opcode >= 0x8) {
      if (!fin || payload.length > 125) return this.failedFrame(1002, 'invalid control frame');
      if (opcode === OP.ping) {
        if (!this.closeSent) this.socket.write(encodeFrame(OP.pong, payload));
        this.handlers.ping?.(payload);
        return true;
      }
      if (opcode === OP.pong) {
        this.handlers.pong?.(payload);
        return true;
      }
      if (opcode === OP.close) return this.receivedClose(payload);
      return this.failedFrame(1002, `unknown opcode ${opcode}`);
    }
    if (opcode === OP.continuation) {
      if (this.fragmentOpcode === null) return this.failedFrame(1002, 'continuation without a message');
    } else if (opcode === OP.text || opcode === OP.binary) {
      if (this.fragmentOpcode !== null) return this.failedFrame(1002, 'new message inside a fragmented one');
      this.fragmentOpcode = opcode;
    } else {
      return this.failedFrame(1002, `unknown opcode ${opcode}`);
    }
    this.fragments.push(payload);
    if (!fin) return true;
    const message = Buffer.concat(this.fragments);
    const messageOpcode = this.fragmentOpcode;
    this.fragments = [];
    this.fragmentOpcode = null;
    if (messageOpcode === OP.binary) {
      this.handlers.binary?.(message);
      return true;
    }
    let text: string;
    try {
      text = this.decoder.decode(message);
    } catch {
      return this.failedFrame(1007, 'invalid UTF-8 in a text message');
    }
    this.handlers.text(text);
    return true;
  }

  private failedFrame(code: number, reason: string): false {
    this.fail(code, reason);
    return false;
  }

  private receivedClose(body: Buffer): false {
    if (body.length === 1) return this.failedFrame(1002, 'close frame with a 1-byte body');
    const code = body.length >= 2 ? body.readUInt16BE(0) : 1005;
    const reason = body.length > 2 ? body.subarray(2).toString('utf8') : '';
    this.initiatedBy ??= 'client';
    this.closeReceived = { code, reason };
    // Echo the code, then close TCP: RFC 6455 §7.1.1, the server closes the connection first.
    if (!this.closeSent) this.sendClose(code === 1005 ? 1000 : code, '');
    this.socket.end();
    this.armCloseTimer();
    return false;
  }
}

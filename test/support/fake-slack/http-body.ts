import type { IncomingMessage, ServerResponse } from 'node:http';
import { isRecord } from './args.js';

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export interface MultipartPart {
  name: string;
  filename?: string;
  contentType?: string;
  data: Buffer;
}

/** Enough of RFC 7578 for what fetch's FormData and curl send. */
export function parseMultipart(body: Buffer, contentType: string): MultipartPart[] {
  const match = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) throw new Error('multipart body without a boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const afterDelimiter = start + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, afterDelimiter);
    if (next === -1) break;
    // each part: CRLF, headers, CRLF CRLF, data, CRLF, then the next delimiter
    const part = body.subarray(afterDelimiter + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd !== -1) {
      const headers = part.subarray(0, headerEnd).toString('utf8');
      const disposition = /content-disposition:[^\r\n]*/i.exec(headers)?.[0] ?? '';
      const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? '';
      const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
      const type = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1];
      parts.push({
        name,
        data: Buffer.from(part.subarray(headerEnd + 4)),
        ...(filename !== undefined ? { filename } : {}),
        ...(type !== undefined ? { contentType: type.trim() } : {}),
      });
    }
    start = next;
  }
  return parts;
}

export type ParsedParams = { ok: true; params: Record<string, unknown> } | { ok: false; error: string };

/** Web API arguments from the query string and a form, JSON or multipart body. */
export function parseParams(req: IncomingMessage, body: Buffer): ParsedParams {
  const params: Record<string, unknown> = {};
  const query = new URL(req.url ?? '/', 'http://fake').searchParams;
  for (const [key, value] of query) params[key] = value;
  if (body.length === 0) return { ok: true, params };

  const contentType = req.headers['content-type'] ?? '';
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType === '') return { ok: false, error: 'missing_post_type' };
  if (mediaType === 'application/x-www-form-urlencoded') {
    for (const [key, value] of new URLSearchParams(body.toString('utf8'))) params[key] = value;
    return { ok: true, params };
  }
  if (mediaType === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      return { ok: false, error: 'invalid_json' };
    }
    if (!isRecord(parsed)) return { ok: false, error: 'invalid_json' };
    return { ok: true, params: { ...params, ...parsed } };
  }
  if (mediaType === 'multipart/form-data') {
    try {
      for (const part of parseMultipart(body, contentType)) {
        params[part.name] = part.filename !== undefined ? part.data : part.data.toString('utf8');
      }
    } catch {
      return { ok: false, error: 'invalid_form_data' };
    }
    return { ok: true, params };
  }
  return { ok: false, error: 'invalid_post_type' };
}

export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

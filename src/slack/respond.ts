import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Reply } from '../common/context.js';

// One connection pool for every answer: a new TLS handshake per reply cost more than the reply.
const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 32 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 32 });
const TIMEOUT_MS = 5_000;

export interface ResponseOptions {
  /** Replace the message the button was on (timeline pages) instead of adding one. */
  replaceOriginal?: boolean;
}

/** Posts an ephemeral answer to a Slack response_url (valid 30 minutes, 5 uses). */
export function respondTo(responseUrl: string, reply: Reply, options: ResponseOptions = {}): Promise<void> {
  const url = new URL(responseUrl);
  const body = JSON.stringify({
    response_type: 'ephemeral',
    ...(options.replaceOriginal ? { replace_original: true } : {}),
    text: reply.text,
    ...(reply.blocks ? { blocks: reply.blocks } : {}),
  });
  const secure = url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        agent: secure ? httpsAgent : httpAgent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: TIMEOUT_MS,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`response_url answered HTTP ${status}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('response_url did not answer')));
    req.on('error', reject);
    req.end(body);
  });
}

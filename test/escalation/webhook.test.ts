import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendWebhook, signBody, type WebhookJob } from '../../src/escalation/webhook.js';

const received: { headers: IncomingHttpHeaders; body: string }[] = [];
let status = 202;
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
  req.on('end', () => {
    received.push({ headers: req.headers, body });
    res.writeHead(status).end();
  });
});
let url = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

const job: WebhookJob = { incidentId: 7, policy: 'primary', loop: 0, tier: 1, users: ['UB2'], webhook: { urlEnv: 'HOOK_URL', secretEnv: 'HOOK_SECRET' } };

describe('page webhook', () => {
  it('posts an Events v2-like trigger signed with HMAC-SHA256 of the exact body', async () => {
    const env = { HOOK_URL: url, HOOK_SECRET: 'shh' };
    await sendWebhook(job, { fetch, env, incident: async () => ({ title: 'DB down', severity: 1, channelId: 'C1' }), now: () => new Date('2026-03-29T00:30:00Z') });
    const got = received.at(-1)!;
    const expected = `sha256=${createHmac('sha256', 'shh').update(got.body).digest('hex')}`;
    expect(got.headers['x-firebreak-signature']).toBe(expected);
    expect(signBody(got.body, 'shh')).toBe(expected);
    expect(JSON.parse(got.body)).toMatchObject({
      event_action: 'trigger',
      dedup_key: 'firebreak-incident-7',
      payload: { summary: '[sev1] DB down', severity: 'critical', custom_details: { tier: 2, paged: ['UB2'] } },
    });
  });

  it('throws on a failed answer so the queue retries it', async () => {
    status = 503;
    await expect(sendWebhook(job, { fetch, env: { HOOK_URL: url, HOOK_SECRET: 's' }, incident: async () => null })).rejects.toThrow('503');
    status = 202;
  });
});

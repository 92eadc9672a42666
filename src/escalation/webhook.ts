import { createHmac } from 'node:crypto';
import type { WebhookSettings } from './settings.js';

export interface WebhookJob {
  incidentId: number;
  policy: string;
  loop: number;
  tier: number;
  users: string[];
  webhook: WebhookSettings;
}

export interface WebhookIncident {
  title: string;
  severity: number;
  channelId: string | null;
}

const PD_SEVERITY: Record<number, string> = { 1: 'critical', 2: 'error', 3: 'warning', 4: 'info' };

/** A PagerDuty Events v2-like trigger; dedup_key is per incident, so the other pager folds repeats. */
export function webhookBody(job: WebhookJob, incident: WebhookIncident | null, at: Date): string {
  return JSON.stringify({
    event_action: 'trigger',
    dedup_key: `firebreak-incident-${job.incidentId}`,
    payload: {
      summary: incident ? `[sev${incident.severity}] ${incident.title}` : `Firebreak incident ${job.incidentId}`,
      severity: PD_SEVERITY[incident?.severity ?? 1] ?? 'critical',
      source: 'firebreak',
      timestamp: at.toISOString(),
      custom_details: { incident_id: job.incidentId, policy: job.policy, tier: job.tier + 1, loop: job.loop, paged: job.users, channel: incident?.channelId ?? null },
    },
  });
}

/** Hex HMAC-SHA256 of the exact body bytes, sent as X-Firebreak-Signature: `sha256=<hex>`. */
export function signBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface WebhookSender {
  fetch: typeof fetch;
  env: Readonly<Record<string, string | undefined>>;
  incident(id: number): Promise<WebhookIncident | null>;
  now?: () => Date;
}

/** Sends one webhook; throws on a non-2xx answer so the queue retries it with backoff. */
export async function sendWebhook(job: WebhookJob, sender: WebhookSender): Promise<void> {
  const url = sender.env[job.webhook.urlEnv];
  const secret = sender.env[job.webhook.secretEnv];
  if (!url || !secret) throw new Error(`${job.webhook.urlEnv} or ${job.webhook.secretEnv} is not set`);
  const body = webhookBody(job, await sender.incident(job.incidentId), (sender.now ?? (() => new Date()))());
  const response = await sender.fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-firebreak-signature': signBody(body, secret) },
    body,
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`webhook answered ${response.status}`);
}

import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/http/metrics.js';
import { createHttpServer } from '../../src/http/server.js';
import { createLogger } from '../../src/log.js';
import { startHarness, type Harness } from '../support/harness.js';

describe('ADMIN_PORT', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('admin', { adminPort: true });
  });
  afterAll(async () => h?.stop());

  it('moves /healthz and /metrics off the Slack ingress, and keeps Slack off the admin port', async () => {
    expect(h.bot.adminUrl).not.toBe(h.bot.url);
    expect((await fetch(`${h.bot.url}/healthz`)).status).toBe(404);
    expect((await fetch(`${h.bot.url}/metrics`)).status).toBe(404);
    const health = await fetch(`${h.bot.adminUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', checks: { store: 'ok', queue: 'ok' } });
    expect(await (await fetch(`${h.bot.adminUrl}/metrics`)).text()).toContain('firebreak_inbox_depth');
    expect((await fetch(`${h.bot.adminUrl}/slack/events`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});

describe('/healthz', () => {
  it('says which check fails, never what its error said', async () => {
    const server = createHttpServer({
      slack: null,
      admin: true,
      checks: {
        store: async () => {
          throw new Error('connect ECONNREFUSED postgres://firebreak:hunter2@10.0.0.7:5432/firebreak');
        },
        queue: async () => undefined,
      },
      metrics: new Metrics(),
      log: createLogger('silent'),
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(response.status).toBe(503);
      const body = await response.text();
      expect(JSON.parse(body)).toEqual({ status: 'failing', checks: { store: 'failing', queue: 'ok' } });
      expect(body).not.toContain('hunter2');
      expect(body).not.toContain('10.0.0.7');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

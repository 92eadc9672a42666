import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { Metrics } from '../../src/http/metrics.js';

interface Dashboard {
  panels: { title: string; targets: { expr: string }[] }[];
}

it('the Grafana dashboard charts only metrics the bot exports', async () => {
  const dashboard = JSON.parse(readFileSync(new URL('../../ops/grafana-dashboard.json', import.meta.url), 'utf8')) as Dashboard;
  const exported = (await new Metrics().registry.getMetricsAsJSON()).map((m) => m.name);
  const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/firebreak_[a-z0-9_]+/g) ?? []));
  expect(used.length).toBeGreaterThan(0);
  for (const name of used) {
    const base = name.replace(/_(bucket|sum|count)$/, '');
    expect(exported, `${name} in the dashboard`).toContain(base);
  }
});

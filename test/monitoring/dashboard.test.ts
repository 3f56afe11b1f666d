import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { WebhookMetrics } from '../../src/metrics/webhook-metrics.js';
import { MANIFESTS_DIR } from '../e2e/support/manifests.js';

const configMap = parse(readFileSync(join(MANIFESTS_DIR, 'monitoring', 'grafana-dashboard.yaml'), 'utf8')) as { data: Record<string, string> };
const dashboard = JSON.parse(Object.values(configMap.data)[0]!) as { uid: string; panels: { title: string; targets: { expr: string }[] }[] };

describe('the Grafana dashboard', () => {
  it('is valid JSON with panels, and every query names only metrics the server exports', () => {
    const exported = new Set([...new WebhookMetrics().render().matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!));
    expect(dashboard.panels.length).toBeGreaterThan(0);
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const names = [...target.expr.matchAll(/\b((?:workspace_storage_webhook|process|nodejs)_[a-z_]+)/g)].map((match) => match[1]!.replace(/_(bucket|sum|count)$/, ''));
        expect(names.length, panel.title).toBeGreaterThan(0);
        for (const name of names) expect(exported.has(name), `${panel.title}: ${name}`).toBe(true);
      }
    }
  });
});

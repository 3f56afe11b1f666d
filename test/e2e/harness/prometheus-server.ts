/**
 * A real Prometheus server (Debian's `prometheus` package, 2.42 on bookworm) scraping one HTTPS target, for the
 * e2e checks that the webhook's metrics are scrapeable as manifests/monitoring/service-monitor.yaml configures.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort } from './control-plane.js';
import { installMissingPackages } from './debian-packages.js';
import { ManagedProcess } from './managed-process.js';
import { waitUntil } from './wait-until.js';

const PROMETHEUS = '/usr/bin/prometheus';

/** One scrape target, as a ServiceMonitor endpoint describes it. */
export interface ScrapeTarget {
  /** `host:port`. */
  readonly address: string;
  readonly scheme: 'http' | 'https';
  readonly metricsPath: string;
  /** PEM of the CA that signed the target's certificate. */
  readonly caPem: string;
  /** The name checked against the certificate (tlsConfig.serverName). */
  readonly serverName: string;
}

/** One sample of an instant query. */
export interface QuerySample {
  readonly metric: Record<string, string>;
  readonly value: number;
}

/** A running Prometheus. */
export interface PrometheusServer {
  readonly url: string;
  /** An instant query through the HTTP API (`/api/v1/query`). */
  query(expression: string): Promise<QuerySample[]>;
  /** The target's scrape health and last error (`/api/v1/targets`). */
  targets(): Promise<{ health: string; lastError: string; scrapeUrl: string }[]>;
  stop(): Promise<void>;
}

/** Starts Prometheus scraping `target` every second; resolves once its HTTP API answers. */
export async function startPrometheus(target: ScrapeTarget): Promise<PrometheusServer> {
  await installMissingPackages({ [PROMETHEUS]: 'prometheus' }, 'the Prometheus scrape');
  const dir = await mkdtemp(join(tmpdir(), 'wsw-prometheus-'));
  const port = await freePort();
  await writeFile(join(dir, 'ca.crt'), target.caPem);
  await writeFile(join(dir, 'prometheus.yml'), stringify({
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    scrape_configs: [{
      job_name: 'workspace-storage-webhook',
      scheme: target.scheme,
      metrics_path: target.metricsPath,
      tls_config: { ca_file: join(dir, 'ca.crt'), server_name: target.serverName },
      static_configs: [{ targets: [target.address] }],
    }],
  }));
  const process = new ManagedProcess({
    name: 'prometheus',
    command: PROMETHEUS,
    args: [
      `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
    ],
    logPath: join(dir, 'prometheus.log'),
  });
  process.start();
  const url = `http://127.0.0.1:${port}`;
  const api = async (path: string): Promise<unknown> => {
    const response = await fetch(`${url}${path}`);
    const body = (await response.json()) as { status: string; data: unknown; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error ?? response.status}`);
    return body.data;
  };
  try {
    await waitUntil('prometheus', async () => (await fetch(`${url}/-/ready`)).ok, [process], 60_000);
  } catch (error) {
    await process.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    async query(expression) {
      const data = (await api(`/api/v1/query?query=${encodeURIComponent(expression)}`)) as { result: { metric: Record<string, string>; value: [number, string] }[] };
      return data.result.map((sample) => ({ metric: sample.metric, value: Number(sample.value[1]) }));
    },
    async targets() {
      const data = (await api('/api/v1/targets')) as { activeTargets: { health: string; lastError: string; scrapeUrl: string }[] };
      return data.activeTargets.map(({ health, lastError, scrapeUrl }) => ({ health, lastError, scrapeUrl }));
    },
    async stop() {
      await process.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

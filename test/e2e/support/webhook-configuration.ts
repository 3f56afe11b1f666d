/**
 * The MutatingWebhookConfiguration the suites register: the one in manifests/base, unchanged except that every
 * webhook calls the locally running server by URL (the API server here has no Service network to reach it by).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import type { Cluster, KubeObject } from './cluster.js';

/** The shipped webhook configuration. */
export const WEBHOOK_CONFIGURATION_FILE = fileURLToPath(
  new URL('../../../manifests/base/mutating-webhook-configuration.yaml', import.meta.url),
);

/** One webhook entry, with the fields the suites read or rewrite. */
export interface WebhookEntry {
  name: string;
  failurePolicy?: string;
  reinvocationPolicy?: string;
  clientConfig: { service?: { path?: string }; url?: string; caBundle?: string };
  [field: string]: unknown;
}

/** A MutatingWebhookConfiguration. */
export interface WebhookConfiguration {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [field: string]: unknown };
  webhooks: WebhookEntry[];
}

/** The configuration as shipped. */
export function shippedWebhookConfiguration(): WebhookConfiguration {
  return parse(readFileSync(WEBHOOK_CONFIGURATION_FILE, 'utf8')) as WebhookConfiguration;
}

/**
 * The shipped configuration with each `clientConfig.service` replaced by `url: https://127.0.0.1:<port><same path>`
 * and the server's CA as caBundle. Everything else (names, rules, selectors, policies, timeouts) is as shipped.
 */
export function localWebhookConfiguration(port: number, caPem: string): WebhookConfiguration {
  const configuration = shippedWebhookConfiguration();
  for (const webhook of configuration.webhooks) {
    const path = webhook.clientConfig.service?.path;
    if (path === undefined) throw new Error(`webhook ${webhook.name} has no clientConfig.service.path`);
    webhook.clientConfig = { url: `https://127.0.0.1:${port}${path}`, caBundle: Buffer.from(caPem).toString('base64') };
  }
  return configuration;
}

/**
 * Waits until the API server calls the webhook for a workspace pod in `namespace`: configurations take effect
 * asynchronously. Server-side dry runs (the webhooks declare sideEffects None) until the pod comes back patched.
 */
export async function waitForWebhook(cluster: Cluster, namespace: string, pod: KubeObject): Promise<void> {
  const probe = { ...pod, metadata: { ...pod.metadata, name: 'webhook-probe', namespace } };
  await cluster.poll(
    `the webhook configuration to take effect in ${namespace}`,
    async () => {
      const result = await cluster.kubectlResult(['create', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(probe));
      if (result.code !== 0) throw new Error(result.stderr);
      const volumes = ((JSON.parse(result.stdout) as KubeObject).spec?.volumes ?? []) as unknown[];
      return volumes.length > ((pod.spec?.volumes ?? []) as unknown[]).length ? true : undefined;
    },
    30_000,
    500,
  );
}

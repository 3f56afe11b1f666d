// Pod creations through the API server, and the webhook configuration that puts the webhook in their path.
import { setTimeout as sleep } from 'node:timers/promises';
import { Latencies } from '../latencies.js';
import { paths } from './api-client.js';
import { BENCH_NAMESPACE_LABEL, workspacePod } from './objects.js';

/** Creates `count` workspace pods, `concurrency` at a time; creations per second and latency percentiles. */
export async function createPods(api, workspaces, count, concurrency, prefix) {
  const latencies = new Latencies();
  let next = 0;
  let failures = 0;
  let firstFailure;
  const started = performance.now();
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const ws = workspaces[i % workspaces.length];
      const result = await api.call('POST', paths.pods(ws.namespace), workspacePod(ws.namespace, ws.claimName, `${prefix}-${i}`));
      if (result.status === 201) latencies.add(result.ms);
      else {
        failures++;
        firstFailure ??= `${result.status} ${result.text.slice(0, 300)}`;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { pods: count, concurrency, seconds: Math.round(seconds * 100) / 100, perSecond: Math.round((count - failures) / seconds), latency: latencies.summary(), failures, firstFailure };
}

/**
 * Creates pods one at a time, taking turns between the groups of workspaces: round r creates pod r of group 0,
 * then of group 1, and so on. Each group is one set-up (its namespaces are under one webhook configuration), so
 * whatever else the machine does in a stretch of time weighs on every set-up alike. Resolves with each group's
 * latency percentiles.
 */
export async function createPodsInTurn(api, groups, rounds, prefix) {
  const results = groups.map(() => ({ latencies: new Latencies(), failures: 0, firstFailure: undefined }));
  for (let i = 0; i < rounds; i++) {
    for (const [g, workspaces] of groups.entries()) {
      const ws = workspaces[i % workspaces.length];
      const result = await api.call('POST', paths.pods(ws.namespace), workspacePod(ws.namespace, ws.claimName, `${prefix}${g}-${i}`));
      const into = results[g];
      if (result.status === 201) into.latencies.add(result.ms);
      else {
        into.failures++;
        into.firstFailure ??= `${result.status} ${result.text.slice(0, 300)}`;
      }
    }
  }
  return results.map(({ latencies, failures, firstFailure }) => ({ pods: rounds, concurrency: 1, latency: latencies.summary(), failures, firstFailure }));
}

/**
 * A MutatingWebhookConfiguration named `name` sending pod CREATEs to `url`, in the benchmark namespaces that carry
 * every label of `namespaceLabels` too.
 */
export function webhookConfiguration(name, url, caPem, namespaceLabels = {}) {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name },
    webhooks: [{
      name: `${name}.bench.wsw.dev`,
      clientConfig: { url, caBundle: Buffer.from(caPem).toString('base64') },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
      namespaceSelector: { matchLabels: { [BENCH_NAMESPACE_LABEL]: 'true', ...namespaceLabels } },
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
      failurePolicy: 'Fail',
      timeoutSeconds: 10,
    }],
  };
}

/** Whether a pod the API server admitted carries the webhook's node affinity and tmpfs volumes. */
export const isMutated = (pod) =>
  Boolean(pod?.spec?.affinity?.nodeAffinity) && (pod?.spec?.volumes ?? []).some((volume) => volume.emptyDir?.medium === 'Memory');

/**
 * Waits until the API server calls the webhook (it picks configurations up asynchronously), probing with
 * server-side dry runs: `mutate` shows in the admitted pod, `audit` in the Warning headers of the answer.
 */
export async function waitForWebhook(api, ws, mode) {
  for (let i = 0; i < 300; i++) {
    const probe = await api.call('POST', `${paths.pods(ws.namespace)}?dryRun=All`, workspacePod(ws.namespace, ws.claimName, `probe-${i}`));
    const warnings = String(probe.headers?.warning ?? '');
    if (probe.status === 201 && (mode === 'audit' ? warnings.includes('would mount tmpfs') : isMutated(probe.json))) return;
    await sleep(100);
  }
  throw new Error(`the ${mode} webhook configuration did not take effect within 30 s`);
}

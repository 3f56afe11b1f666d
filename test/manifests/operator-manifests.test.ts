/**
 * What an operator who knows Kyverno, Gatekeeper or cert-manager expects of the shipped manifests, read from
 * `kubectl kustomize` output (test/e2e/webhook.e2e.test.ts dry-runs the same output on a real API server).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../e2e/support/cluster.js';
import { describeObject, MANIFESTS_DIR, parseManifestStream } from '../e2e/support/manifests.js';

const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';
const PART_OF = 'app.kubernetes.io/part-of';

function kustomize(dir: string): KubeObject[] {
  return parseManifestStream(execFileSync(KUBECTL, ['kustomize', dir], { encoding: 'utf8' }));
}

const builds = { 'manifests': kustomize(MANIFESTS_DIR), 'manifests/cert-manager': kustomize(`${MANIFESTS_DIR}/cert-manager`) };
type PodTemplateView = { metadata: { labels: Record<string, string> }; spec: { priorityClassName?: string; containers: { ports?: { containerPort: number }[] }[] } };

describe.each(Object.entries(builds))('kubectl kustomize %s', (_dir, objects) => {
  it('labels every object app.kubernetes.io/part-of=workspace-storage-webhook, so kubectl delete -l removes them all', () => {
    expect(objects.filter((object) => object.metadata.labels?.[PART_OF] !== 'workspace-storage-webhook').map(describeObject)).toEqual([]);
  });

  it('a NetworkPolicy lets in only the port the server listens on, to the server pods only', () => {
    const deployment = objects.find((object) => object.kind === 'Deployment')!;
    const template = (deployment.spec as { template: PodTemplateView }).template;
    const ports = template.spec.containers.flatMap((container) => (container.ports ?? []).map((port) => port.containerPort));
    const policies = objects.filter((object) => object.kind === 'NetworkPolicy');
    expect(policies).toHaveLength(1);
    const spec = policies[0]!.spec as { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: { from?: unknown; ports: { port: number; protocol: string }[] }[] };
    expect(spec.policyTypes).toEqual(['Ingress']);
    for (const [key, value] of Object.entries(spec.podSelector.matchLabels)) expect(template.metadata.labels[key]).toBe(value);
    expect(spec.ingress.flatMap((rule) => rule.ports.map((port) => port.port)).sort()).toEqual([...new Set(ports)].sort());
  });

  it('gives the webhook pods a priorityClassName, so they are not the first evicted', () => {
    const deployment = objects.find((object) => object.kind === 'Deployment')!;
    expect((deployment.spec as { template: PodTemplateView }).template.spec.priorityClassName).toBe('system-cluster-critical');
  });
});

describe('the certificate Job', () => {
  it('is removed when it finishes, so re-applying with a new image tag creates it again (its pod template is immutable)', () => {
    const job = builds.manifests.find((object) => object.kind === 'Job')!;
    expect((job.spec as { ttlSecondsAfterFinished?: number }).ttlSecondsAfterFinished).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.js';
import { decide } from '../../src/core/decide.js';
import type { Pod } from '../../src/kube/kube-types.js';
import { InMemoryClusterFacts } from '../support/in-memory-cluster-facts.js';
import { podRuleViolations } from '../support/api-rules.js';
import { applyDecision, createInput, fixture, volumeAt } from '../support/fixtures.js';

const config = parseConfig({});
const facts = new InMemoryClusterFacts();
const ANNOTATION = 'workspace-storage.dev/container-storage';

function annotated(path: string, value: string): Pod {
  const pod = fixture(path);
  pod.metadata = { ...pod.metadata, annotations: { ...pod.metadata?.annotations, [ANNOTATION]: value } };
  return pod;
}

interface Expected {
  /** container -> paths that must be disk-backed emptyDirs (no medium) of 50Gi */
  disk: Record<string, string[]>;
  warnings?: RegExp[];
}

const cases: [string, () => Pod, Expected][] = [
  ['docker in the Coder template pod (not privileged)', () => annotated('pods/coder-kubernetes-template.json', 'docker'), {
    disk: { dev: ['/var/lib/docker'] },
    warnings: [/docker storage mounted, but no container is privileged or rootless/],
  }],
  ['docker in a privileged pod: no warning about Docker', () => {
    const pod = annotated('pods/coder-devcontainer.json', 'docker');
    pod.spec!.containers![0]!.securityContext = { privileged: true };
    return pod;
  }, { disk: { dev: ['/var/lib/docker'] } }],
  ['docker under Sysbox', () => {
    const pod = annotated('pods/coder-devcontainer.json', 'docker');
    pod.spec!.runtimeClassName = 'sysbox-runc';
    return pod;
  }, { disk: { dev: ['/var/lib/docker'] } }],
  ['podman: rootful store and the rootless store under the home mount', () => annotated('pods/coder-kubernetes-template.json', 'podman'), {
    disk: { dev: ['/var/lib/containers', '/home/coder/.local/share/containers'] },
  }],
  ['podman: home from the HOME env var', () => {
    const pod = annotated('pods/coder-devcontainer.json', 'podman');
    pod.spec!.containers![0]!.env!.push({ name: 'HOME', value: '/workspaces/home' });
    return pod;
  }, { disk: { dev: ['/var/lib/containers', '/workspaces/home/.local/share/containers'] } }],
  ['explicit paths, every regular container, sidecar included', () => annotated('pods/coder-bare-pod.json', '/var/lib/buildkit, /srv/cache'), {
    disk: { dev: ['/var/lib/buildkit', '/srv/cache'], sidecar: ['/var/lib/buildkit', '/srv/cache'] },
  }],
  ['ephemeral-storage limit below the size limit', () => {
    const pod = annotated('pods/coder-devcontainer.json', 'docker');
    pod.spec!.containers![0]!.securityContext = { privileged: true };
    pod.spec!.containers![0]!.resources!.limits!['ephemeral-storage'] = '20Gi';
    return pod;
  }, { disk: { dev: ['/var/lib/docker'] }, warnings: [/container dev: ephemeral-storage limit 20Gi < container storage 50Gi/] }],
];

describe('disk-backed storage for container engines', () => {
  it.each(cases)('%s', (_name, make, expected) => {
    const pod = make();
    const decision = decide(createInput(pod), config, facts);
    expect(decision.outcome).toBe('mutated');
    const patched = applyDecision(pod, decision);
    expect(podRuleViolations(patched)).toEqual([]);
    for (const [container, paths] of Object.entries(expected.disk)) {
      for (const path of paths) {
        expect(volumeAt(patched, container, path)?.emptyDir, `${container} ${path}`).toEqual({ sizeLimit: '50Gi' });
      }
    }
    expect(decision.warnings).toHaveLength(expected.warnings?.length ?? 0);
    for (const pattern of expected.warnings ?? []) expect(decision.warnings.some((w) => pattern.test(w)), String(pattern)).toBe(true);
  });

  it('leaves a path that already has a mount alone', () => {
    const pod = annotated('pods/coder-devcontainer.json', 'docker');
    pod.spec!.containers![0]!.securityContext = { privileged: true };
    pod.spec!.volumes!.push({ name: 'docker', hostPath: { path: '/srv/docker' } });
    pod.spec!.containers![0]!.volumeMounts!.push({ name: 'docker', mountPath: '/var/lib/docker' });
    const decision = decide(createInput(pod), config, facts);
    expect(decision.operations).toEqual([]);
  });

  it('creates the volumes and volumeMounts lists when the pod has none', () => {
    const pod: Pod = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name: 'ws', namespace: 'coder', labels: { 'com.coder.resource': 'true' }, annotations: { [ANNOTATION]: 'docker' } },
      spec: { containers: [{ name: 'dev', image: 'docker:dind-rootless' }] },
    };
    const patched = applyDecision(pod, decide(createInput(pod), config, facts));
    expect(volumeAt(patched, 'dev', '/var/lib/docker')?.emptyDir).toEqual({ sizeLimit: '50Gi' });
    expect(podRuleViolations(patched)).toEqual([]);
  });

  it('applies configured paths to every workspace pod without an annotation', () => {
    const custom = parseConfig({ containerStorage: { paths: ['/var/lib/docker'], sizeLimit: '100Gi' } });
    const pod = fixture('pods/coder-devcontainer.json');
    const patched = applyDecision(pod, decide(createInput(pod), custom, facts));
    expect(volumeAt(patched, 'dev', '/var/lib/docker')?.emptyDir).toEqual({ sizeLimit: '100Gi' });
  });

  it('warns about annotation entries it cannot use', () => {
    const decision = decide(createInput(annotated('pods/coder-devcontainer.json', 'dockerd, ../x')), config, facts);
    expect(decision.warnings.filter((w) => w.startsWith('ignored'))).toHaveLength(2);
    expect(decision.operations).toEqual([]);
  });
});

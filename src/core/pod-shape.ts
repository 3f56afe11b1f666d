import type { Container, Pod } from '../kube/kube-types.js';
import { isRecord } from '../kube/json-value.js';

/**
 * Checks the parts of a Pod the core patches have the types Kubernetes gives them, and returns why not.
 * A pod that fails this would be rejected by the API server anyway; the webhook then leaves it alone rather
 * than emit a patch that cannot apply (which would fail the request with a confusing error).
 */
export function podShapeProblem(pod: unknown): string | undefined {
  if (!isRecord(pod)) return 'object is not a JSON object';
  if (pod.metadata !== undefined && !isRecord(pod.metadata)) return 'metadata is not an object';
  const spec = pod.spec;
  if (!isRecord(spec)) return 'spec is not an object';
  if (!Array.isArray(spec.containers)) return 'spec.containers is not a list';
  if (spec.volumes !== undefined && spec.volumes !== null && !Array.isArray(spec.volumes)) return 'spec.volumes is not a list';
  for (const volume of (spec.volumes ?? []) as unknown[]) {
    if (!isRecord(volume) || typeof volume.name !== 'string') return 'a volume has no name';
  }
  for (const container of spec.containers as unknown[]) {
    if (!isRecord(container) || typeof container.name !== 'string') return 'a container has no name';
    const mounts = container.volumeMounts;
    if (mounts === undefined || mounts === null) continue;
    if (!Array.isArray(mounts)) return `container ${container.name}: volumeMounts is not a list`;
    for (const mount of mounts as unknown[]) {
      if (!isRecord(mount) || typeof mount.mountPath !== 'string') return `container ${container.name}: a mount has no path`;
    }
  }
  if (spec.affinity !== undefined && spec.affinity !== null && !isRecord(spec.affinity)) return 'spec.affinity is not an object';
  if (spec.initContainers !== undefined && spec.initContainers !== null && !Array.isArray(spec.initContainers)) {
    return 'spec.initContainers is not a list';
  }
  return undefined;
}

/** Narrows `pod` after podShapeProblem returned undefined. */
export function asCheckedPod(pod: unknown): Pod & { spec: { containers: Container[] } } {
  return pod as Pod & { spec: { containers: Container[] } };
}


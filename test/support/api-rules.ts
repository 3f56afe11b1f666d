import { isDnsLabel } from '../../src/kube/rfc1123-names.js';
import type { Pod } from '../../src/kube/kube-types.js';

/**
 * The API server's pod validation rules that a patch from this webhook could break
 * (pkg/apis/core/validation: ValidateVolumes, validateVolumeMounts, validateContainers, validateInitContainers):
 * DNS-1123 volume names, unique volume names, unique mountPaths per container, every mount naming an existing
 * volume, container names DNS-1123 labels unique across containers and init containers. Returns the violations.
 */
export function podRuleViolations(pod: Pod): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const volume of pod.spec?.volumes ?? []) {
    if (!isDnsLabel(volume.name)) problems.push(`volume name ${volume.name} is not a DNS-1123 label`);
    if (names.has(volume.name)) problems.push(`duplicate volume name ${volume.name}`);
    names.add(volume.name);
  }
  const containerNames = new Set<string>();
  for (const container of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    if (!isDnsLabel(container.name)) problems.push(`container name ${container.name} is not a DNS-1123 label`);
    if (containerNames.has(container.name)) problems.push(`duplicate container name ${container.name}`);
    containerNames.add(container.name);
    const paths = new Set<string>();
    for (const mount of container.volumeMounts ?? []) {
      if (paths.has(mount.mountPath)) problems.push(`container ${container.name}: duplicate mountPath ${mount.mountPath}`);
      paths.add(mount.mountPath);
      if (!names.has(mount.name)) problems.push(`container ${container.name}: mount of missing volume ${mount.name}`);
    }
  }
  return problems;
}

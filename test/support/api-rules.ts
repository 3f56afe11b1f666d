import { isDnsLabel } from '../../src/core/rfc1123-names.js';
import type { Pod } from '../../src/core/kube-types.js';

/**
 * The API server's pod validation rules that a patch from this webhook could break
 * (pkg/apis/core/validation: ValidateVolumes, validateVolumeMounts): DNS-1123 volume names, unique volume names,
 * unique mountPaths per container, every mount naming an existing volume. Returns the violations.
 */
export function podRuleViolations(pod: Pod): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const volume of pod.spec?.volumes ?? []) {
    if (!isDnsLabel(volume.name)) problems.push(`volume name ${volume.name} is not a DNS-1123 label`);
    if (names.has(volume.name)) problems.push(`duplicate volume name ${volume.name}`);
    names.add(volume.name);
  }
  for (const container of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    const paths = new Set<string>();
    for (const mount of container.volumeMounts ?? []) {
      if (paths.has(mount.mountPath)) problems.push(`container ${container.name}: duplicate mountPath ${mount.mountPath}`);
      paths.add(mount.mountPath);
      if (!names.has(mount.name)) problems.push(`container ${container.name}: mount of missing volume ${mount.name}`);
    }
  }
  return problems;
}

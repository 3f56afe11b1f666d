import type { Container } from './kube-types.js';
import { formatBytes, parseQuantity } from './quantity.js';

/**
 * Warnings for containers whose memory limit cannot hold the tmpfs they were given. Files written to a
 * memory-backed emptyDir are charged to the writing container's memory cgroup, so 24Gi of tmpfs in a container
 * limited to 8Gi means OOM kills or eviction long before the tmpfs is full.
 */
export function memoryWarnings(containers: readonly Container[], addedBytes: ReadonlyMap<number, number>): string[] {
  const warnings: string[] = [];
  for (const [index, tmpfsBytes] of addedBytes) {
    const container = containers[index];
    if (!container) continue;
    const limit = parseQuantity(container.resources?.limits?.memory);
    const request = parseQuantity(container.resources?.requests?.memory) ?? 0;
    const tmpfs = formatBytes(tmpfsBytes);
    if (limit === undefined) {
      warnings.push(`container ${container.name} has no memory limit; its tmpfs (${tmpfs}) is bounded only by node memory`);
    } else if (limit < tmpfsBytes + request) {
      warnings.push(
        `container ${container.name}: memory limit ${formatBytes(limit)} < tmpfs ${tmpfs} + request ${formatBytes(request)}`,
      );
    }
  }
  return warnings;
}

import type { Container } from '../kube/kube-types.js';
import { formatBytes, parseQuantity } from '../kube/quantity.js';

/**
 * Why `container` cannot hold `tmpfsBytes` of memory-backed emptyDirs, or undefined when it can: no memory limit, or a
 * limit below the tmpfs plus its memory request. Files written to a memory-backed emptyDir are charged to the
 * writing container's memory cgroup, so 24Gi of tmpfs in a container limited to 8Gi means OOM kills or eviction
 * long before the tmpfs is full.
 */
export function memoryShortfall(container: Container, tmpfsBytes: number): string | undefined {
  const limit = parseQuantity(container.resources?.limits?.memory);
  const request = parseQuantity(container.resources?.requests?.memory) ?? 0;
  const tmpfs = formatBytes(tmpfsBytes);
  if (limit === undefined) return `container ${container.name} has no memory limit; its tmpfs (${tmpfs}) is bounded only by node memory`;
  if (limit < tmpfsBytes + request) {
    return `container ${container.name}: memory limit ${formatBytes(limit)} < tmpfs ${tmpfs} + request ${formatBytes(request)}`;
  }
  return undefined;
}

/** Warnings for the containers (by index) whose memory limit cannot hold the memory-backed tmpfs they were given. */
export function memoryWarnings(containers: readonly Container[], addedBytes: ReadonlyMap<number, number>): string[] {
  const warnings: string[] = [];
  for (const [index, tmpfsBytes] of addedBytes) {
    const container = containers[index];
    const shortfall = container === undefined ? undefined : memoryShortfall(container, tmpfsBytes);
    if (shortfall !== undefined) warnings.push(shortfall);
  }
  return warnings;
}

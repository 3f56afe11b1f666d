import type { ClusterFacts } from './cluster-facts.js';
import type { Pod } from '../kube/kube-types.js';

/** CSI drivers of Longhorn volumes; `io.rancher.longhorn` is the deprecated name older PVs still carry. */
export const LONGHORN_DRIVERS: ReadonlySet<string> = new Set(['driver.longhorn.io', 'io.rancher.longhorn']);

/** Where the pod's data lives, as far as the facts tell. */
export interface CoLocation {
  /** Names of the Nodes holding a usable replica of every Longhorn volume the pod mounts, Ready and schedulable; sorted. */
  readonly nodes: readonly string[];
  /** The Longhorn volumes that constrained the choice (volume handles). */
  readonly volumes: readonly string[];
  /** Shown to the user: why no node could be chosen although the pod has Longhorn data. */
  readonly warnings: readonly string[];
  /** For the audit line: what was looked at and why it did not constrain the choice. */
  readonly notes: readonly string[];
}

/**
 * Finds the nodes that hold the pod's Longhorn data. For each PVC the pod mounts: unbound -> nothing to pin;
 * bound to a PV pinned to nodes (local-path, strict-local) -> the scheduler already co-locates; a ReadWriteMany
 * Longhorn PV -> nothing to pin (share-manager); another Longhorn PV (a zone-level PV affinity included) -> the
 * nodes of its usable replicas (scheduled, not failed), minus NotReady or cordoned nodes. Several Longhorn volumes
 * -> the intersection. Kubernetes cannot see replica placement itself (longhorn/longhorn#810).
 */
export function findCoLocation(pod: Pod, namespace: string, facts: ClusterFacts): CoLocation {
  const warnings: string[] = [];
  const notes: string[] = [];
  const volumes: string[] = [];
  let candidates: Set<string> | undefined;
  const claims = new Set<string>();
  for (const volume of pod.spec?.volumes ?? []) {
    const claimName = volume.persistentVolumeClaim?.claimName;
    if (typeof claimName === 'string' && claimName !== '') claims.add(claimName);
  }
  if (claims.size === 0) return { nodes: [], volumes, warnings, notes: ['no PVC mounted'] };

  const status = facts.status();
  const unsure = status.state !== 'synced';
  for (const claimName of claims) {
    const claim = facts.claim(namespace, claimName);
    if (!claim) {
      (unsure ? warnings : notes).push(`PVC ${claimName} not known${unsure ? ` (co-location ${status.state}: ${status.reason ?? ''})` : ''}`);
      continue;
    }
    if (claim.volumeName === '') {
      notes.push(`PVC ${claimName} unbound`);
      continue;
    }
    const pv = facts.volume(claim.volumeName);
    if (!pv) {
      (unsure ? warnings : notes).push(`PV ${claim.volumeName} not known`);
      continue;
    }
    if (pv.nodeLocal) {
      notes.push(`PV ${claim.volumeName} is node-local already`);
      continue;
    }
    if (!LONGHORN_DRIVERS.has(pv.csiDriver)) {
      notes.push(`PV ${claim.volumeName} is not Longhorn`);
      continue;
    }
    if (pv.readWriteMany) {
      // Longhorn serves RWX through a share-manager pod over NFS: where the replicas are says nothing about where
      // the workspace should run.
      notes.push(`PV ${claim.volumeName} is ReadWriteMany (served by Longhorn's share-manager): not pinned`);
      continue;
    }
    const replicaNodes = facts.replicaNodes(pv.volumeHandle);
    if (replicaNodes === undefined) {
      warnings.push(`co-location degraded, volume ${pv.volumeHandle} not pinned: ${status.reason ?? 'replicas unknown'}`);
      return { nodes: [], volumes: [], warnings, notes };
    }
    const usable = new Set<string>();
    for (const nodeName of replicaNodes) {
      const node = facts.node(nodeName);
      if (node && node.ready && !node.unschedulable) usable.add(nodeName);
    }
    volumes.push(pv.volumeHandle);
    candidates = candidates === undefined ? usable : new Set([...candidates].filter((name) => usable.has(name)));
    if (usable.size === 0) {
      warnings.push(`no Ready schedulable node holds a replica of ${pv.volumeHandle}; pod not pinned`);
      return { nodes: [], volumes, warnings, notes };
    }
  }
  if (candidates === undefined) return { nodes: [], volumes, warnings, notes };
  if (candidates.size === 0) {
    warnings.push(`no node holds replicas of all of ${volumes.join(', ')}; pod not pinned`);
    return { nodes: [], volumes, warnings, notes };
  }
  return { nodes: [...candidates].sort(), volumes, warnings, notes };
}

import type { ClaimFact, VolumeFact } from '../../core/cluster-facts.js';
import { LOCALITIES, localityVerdict, type Locality } from '../../core/workspace-locality.js';
import type { KeyedFactStore, NamespacedFactStore } from '../list-watch/fact-store.js';
import type { PodClaimsFact } from './object-facts.js';

/** How many workspace claims have each verdict (every verdict present, 0 when none). */
export type LocalityCounts = Readonly<Record<Locality, number>>;

/** What the count reads: the server's caches, walked in place. */
export interface CensusSources {
  readonly claims: NamespacedFactStore<ClaimFact>;
  readonly pods: NamespacedFactStore<PodClaimsFact>;
  /** Namespaces labelled `workspace-storage.dev/workspaces=all` (their every claim is a workspace's). */
  readonly allWorkspaceNamespaces: KeyedFactStore<true>;
  readonly volume: (name: string) => VolumeFact | undefined;
  /** Healthy replica nodes of a Longhorn volume; undefined when replicas cannot be read. */
  readonly replicaNodes: (longhornVolume: string) => readonly string[] | undefined;
}

/**
 * The day-two gauge: every workspace claim (selector match, or in a `workspaces=all` namespace) counted under the
 * verdict the `report` command would give it. Run at scrape time; at 10k workspaces one walk takes a few ms.
 */
export function countWorkspaceLocalities(sources: CensusSources): LocalityCounts {
  const counts = Object.fromEntries(LOCALITIES.map((locality) => [locality, 0])) as Record<Locality, number>;
  // The node of the first running pod per claim, keyed per namespace like the stores.
  const nodeOfClaim = new Map<string, Map<string, string>>();
  sources.pods.forEach((namespace, _name, pod) => {
    let claims = nodeOfClaim.get(namespace);
    if (claims === undefined) nodeOfClaim.set(namespace, (claims = new Map<string, string>()));
    for (const claim of pod.claims) if (!claims.has(claim)) claims.set(claim, pod.node);
  });
  sources.claims.forEach((namespace, name, claim) => {
    if (claim.workspace !== true && sources.allWorkspaceNamespaces.get(namespace) === undefined) return;
    const volume = claim.volumeName === '' ? undefined : sources.volume(claim.volumeName);
    const node = nodeOfClaim.get(namespace)?.get(name);
    counts[localityVerdict({
      volumeName: claim.volumeName,
      volume,
      healthyReplicaNodes: volume === undefined ? undefined : sources.replicaNodes(volume.volumeHandle),
      podNode: node,
    })] += 1;
  });
  return counts;
}

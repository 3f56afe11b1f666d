import { LONGHORN_DRIVERS } from './co-location.js';

/**
 * Where a workspace's data is against where its pod runs, for the day-two report:
 * - `local`: the pod runs on a node holding a healthy replica, or the volume is node-local (local-path);
 * - `remote`: the pod runs away from every healthy replica of its Longhorn volume (the incident);
 * - `longhorn`: no pod uses the claim now and it is still on Longhorn (a migration candidate);
 * - `shared`: a ReadWriteMany Longhorn volume, served by a share-manager pod (locality does not apply);
 * - `pending`: a pod uses the claim but is not on a node yet;
 * - `unbound`: the claim has no volume yet;
 * - `other`: another kind of volume (not Longhorn, not node-local);
 * - `unknown`: the facts needed are missing (the PV, or Longhorn's replicas).
 */
export type Locality = (typeof LOCALITIES)[number];

/** Every verdict, in the order the gauge and the docs list them. */
export const LOCALITIES = ['local', 'remote', 'longhorn', 'shared', 'pending', 'unbound', 'other', 'unknown'] as const;

/** One replica of a Longhorn volume. */
export interface ReplicaPlacement {
  /** The Node's name; "" while unscheduled. */
  readonly node: string;
  readonly failed: boolean;
}

/** What is known about one workspace claim. */
export interface WorkspaceVolumeFacts {
  readonly namespace: string;
  readonly claim: string;
  readonly storageClass: string;
  /** The class's provisioner, "" when the class is not known. */
  readonly provisioner: string;
  /** `spec.volumeName`, "" while unbound. */
  readonly volumeName: string;
  /** The bound PV, when known. */
  readonly volume?: { readonly csiDriver: string; readonly volumeHandle: string; readonly nodeLocal: boolean; readonly readWriteMany: boolean };
  /** The Longhorn volume's replicas; undefined when they could not be read. */
  readonly replicas?: readonly ReplicaPlacement[];
  /** Pods using the claim (not finished), with the node each runs on ("" before scheduling). */
  readonly pods: readonly { readonly name: string; readonly node: string }[];
}

/** A report row: the facts, summarised, and the verdict. */
export interface WorkspaceVolumeRow {
  readonly namespace: string;
  readonly pvc: string;
  readonly storageClass: string;
  readonly provisioner: string;
  readonly longhornVolume: string;
  /** Replica nodes, failed ones as `node (failed)`, unscheduled ones left out. */
  readonly replicaNodes: readonly string[];
  readonly pod: string;
  readonly node: string;
  readonly verdict: Locality;
}

/** The verdict for one claim (see {@link Locality}). */
export function workspaceLocality(facts: WorkspaceVolumeFacts): WorkspaceVolumeRow {
  const pod = facts.pods[0];
  const volume = facts.volume;
  const longhorn = volume !== undefined && LONGHORN_DRIVERS.has(volume.csiDriver);
  const replicas = facts.replicas ?? [];
  const row = {
    namespace: facts.namespace,
    pvc: facts.claim,
    storageClass: facts.storageClass,
    provisioner: facts.provisioner,
    longhornVolume: longhorn ? volume.volumeHandle : '',
    replicaNodes: longhorn ? replicas.filter((r) => r.node !== '').map((r) => (r.failed ? `${r.node} (failed)` : r.node)) : [],
    pod: pod?.name ?? '',
    node: pod?.node ?? '',
  };
  const verdict = localityVerdict({
    volumeName: facts.volumeName,
    volume,
    healthyReplicaNodes: facts.replicas?.filter((replica) => !replica.failed).map((replica) => replica.node),
    podNode: pod?.node,
  });
  return { ...row, verdict };
}

/** What a verdict depends on, and nothing else (the gauge builds one per claim at every scrape). */
export interface LocalityInputs {
  /** `spec.volumeName`, "" while unbound. */
  readonly volumeName: string;
  /** The bound PV, when known. */
  readonly volume: WorkspaceVolumeFacts['volume'] | undefined;
  /** Nodes holding a healthy replica of the Longhorn volume; undefined when replicas could not be read. */
  readonly healthyReplicaNodes: readonly string[] | undefined;
  /** The node of the first pod using the claim ("" before scheduling); undefined when no pod uses it. */
  readonly podNode: string | undefined;
}

/** The verdict alone (see {@link Locality}). */
export function localityVerdict(facts: LocalityInputs): Locality {
  if (facts.volumeName === '') return 'unbound';
  const volume = facts.volume;
  if (volume === undefined) return 'unknown';
  if (volume.nodeLocal) return 'local';
  if (!LONGHORN_DRIVERS.has(volume.csiDriver)) return 'other';
  if (volume.readWriteMany) return 'shared';
  const node = facts.podNode;
  if (node === undefined) return 'longhorn';
  if (node === '') return 'pending';
  if (facts.healthyReplicaNodes === undefined) return 'unknown';
  return facts.healthyReplicaNodes.includes(node) ? 'local' : 'remote';
}

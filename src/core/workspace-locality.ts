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
export type Locality = 'local' | 'remote' | 'longhorn' | 'shared' | 'pending' | 'unbound' | 'other' | 'unknown';

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
  return { ...row, verdict: verdictOf(facts, longhorn) };
}

function verdictOf(facts: WorkspaceVolumeFacts, longhorn: boolean): Locality {
  if (facts.volumeName === '') return 'unbound';
  const volume = facts.volume;
  if (volume === undefined) return 'unknown';
  if (volume.nodeLocal) return 'local';
  if (!longhorn) return 'other';
  if (volume.readWriteMany) return 'shared';
  const pod = facts.pods[0];
  if (pod === undefined) return 'longhorn';
  if (pod.node === '') return 'pending';
  if (facts.replicas === undefined) return 'unknown';
  const healthy = facts.replicas.some((replica) => replica.node === pod.node && !replica.failed);
  return healthy ? 'local' : 'remote';
}

/**
 * What the core needs to know about the cluster to co-locate a workspace pod with its data. The admission path
 * reads these facts synchronously from memory: implementations keep watch-fed caches and never do I/O here
 * (an API call while answering a review would put the API server's latency on every pod creation).
 */

/** A PVC as the co-location decision sees it. */
export interface ClaimFact {
  /** `spec.volumeName`: empty while the claim is unbound. */
  readonly volumeName: string;
  /**
   * Present (true) when the claim's labels match a workspace selector, for the day-two gauge; absent otherwise, so
   * that the many claims of other workloads share one fact object.
   */
  readonly workspace?: true;
}

/** A PV as the co-location decision sees it. */
export interface VolumeFact {
  /** `spec.csi.driver`, or "" for a non-CSI volume. */
  readonly csiDriver: string;
  /** `spec.csi.volumeHandle`: for Longhorn, the Longhorn volume name. */
  readonly volumeHandle: string;
  /**
   * True when the PV's required node affinity pins it to nodes (every term names nodes by `kubernetes.io/hostname`
   * or `metadata.name`, as local-path and Longhorn strict-local write it): the scheduler already puts the pod there.
   * A zone- or region-level term (Longhorn 1.12 strictTopology) does not make a volume node-local.
   */
  readonly nodeLocal: boolean;
  /** `spec.accessModes` holds ReadWriteMany: Longhorn serves it through a share-manager pod over NFS. */
  readonly readWriteMany: boolean;
}

/** A StorageClass as the class rewrite sees it. */
export interface StorageClassFact {
  /** `provisioner`, e.g. `driver.longhorn.io`. */
  readonly provisioner: string;
}

/** A Node as the co-location decision sees it. */
export interface NodeFact {
  /** The Ready condition is True. */
  readonly ready: boolean;
  /** `spec.unschedulable` (cordoned). */
  readonly unschedulable: boolean;
}

/** Whether the facts can be used, and if not, why: shown on /readyz and in warnings. */
export interface FactsStatus {
  /** `off`: no cluster access or affinity.mode off; `syncing`: initial list not done; `synced`; `degraded`. */
  readonly state: 'off' | 'syncing' | 'synced' | 'degraded';
  /** Human-readable reason for any state but `synced`. */
  readonly reason?: string;
}

/** The cluster facts the pure core reads; one real (informer-backed) and one in-memory implementation. */
export interface ClusterFacts {
  /** Overall state of the caches behind these facts. */
  status(): FactsStatus;
  /** The PVC `namespace/name`, or undefined when the cache does not hold it. */
  claim(namespace: string, name: string): ClaimFact | undefined;
  /** The PV `name`, or undefined when the cache does not hold it. */
  volume(name: string): VolumeFact | undefined;
  /**
   * Nodes holding a usable replica of the Longhorn volume `longhornVolume` (`spec.nodeID` set and no
   * `spec.failedAt`, Longhorn's own test), or undefined when replica facts are unavailable (CRD absent, forbidden, not synced).
   */
  replicaNodes(longhornVolume: string): readonly string[] | undefined;
  /** The Node `name`, or undefined when the cache does not hold it. */
  node(name: string): NodeFact | undefined;
  /** The StorageClass `name`, or undefined when the cache does not hold it (or there is no cache). */
  storageClass(name: string): StorageClassFact | undefined;
}

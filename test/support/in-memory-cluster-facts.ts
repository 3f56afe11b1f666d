import type { ClaimFact, ClusterFacts, FactsStatus, NodeFact, StorageClassFact, VolumeFact } from '../../src/core/cluster-facts.js';

/**
 * {@link ClusterFacts} from plain maps filled by setters: for unit tests of the pure core,
 * where there is no cluster. Starts `synced` and empty, with replica facts available.
 */
export class InMemoryClusterFacts implements ClusterFacts {
  private readonly claims = new Map<string, ClaimFact>();
  private readonly volumes = new Map<string, VolumeFact>();
  private readonly nodes = new Map<string, NodeFact>();
  private readonly storageClasses = new Map<string, StorageClassFact>();
  private readonly replicas = new Map<string, string[]>();
  private replicasAvailable = true;
  private currentStatus: FactsStatus = { state: 'synced' };

  /** Sets the PVC `namespace/name`, bound to the PV `volumeName` ("" = unbound). */
  addClaim(namespace: string, name: string, volumeName: string): this {
    this.claims.set(`${namespace}/${name}`, { volumeName });
    return this;
  }

  /** Sets the PV `name`. */
  addVolume(name: string, fact: VolumeFact): this {
    this.volumes.set(name, { ...fact });
    return this;
  }

  /** Adds a replica of the Longhorn volume on `node`; "" is an unscheduled replica, which no lookup reports. */
  addReplica(longhornVolume: string, node: string): this {
    const nodes = this.replicas.get(longhornVolume) ?? [];
    nodes.push(node);
    this.replicas.set(longhornVolume, nodes);
    return this;
  }

  /** Removes one replica of the Longhorn volume on `node`, if there is one. */
  removeReplica(longhornVolume: string, node: string): this {
    const nodes = this.replicas.get(longhornVolume);
    const at = nodes?.indexOf(node) ?? -1;
    if (nodes !== undefined && at !== -1) nodes.splice(at, 1);
    return this;
  }

  /** Sets the Node `name`. */
  addNode(name: string, fact: NodeFact): this {
    this.nodes.set(name, { ...fact });
    return this;
  }

  /** Makes {@link replicaNodes} answer undefined (as when the Longhorn CRD is missing), or available again. */
  setReplicasUnavailable(unavailable = true): this {
    this.replicasAvailable = !unavailable;
    return this;
  }

  /** Sets what {@link status} reports. */
  setStatus(status: FactsStatus): this {
    this.currentStatus = { ...status };
    return this;
  }

  status(): FactsStatus {
    return this.currentStatus;
  }

  claim(namespace: string, name: string): ClaimFact | undefined {
    return this.claims.get(`${namespace}/${name}`);
  }

  volume(name: string): VolumeFact | undefined {
    return this.volumes.get(name);
  }

  replicaNodes(longhornVolume: string): readonly string[] | undefined {
    if (!this.replicasAvailable) return undefined;
    const nodes = this.replicas.get(longhornVolume) ?? [];
    return [...new Set(nodes.filter((node) => node !== ''))].sort();
  }

  node(name: string): NodeFact | undefined {
    return this.nodes.get(name);
  }

  /** Adds the StorageClass `name` with `provisioner`. */
  addStorageClass(name: string, provisioner: string): this {
    this.storageClasses.set(name, { provisioner });
    return this;
  }

  storageClass(name: string): StorageClassFact | undefined {
    return this.storageClasses.get(name);
  }
}

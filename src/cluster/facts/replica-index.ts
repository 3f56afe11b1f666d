import type { FactEntry, FactSink } from '../list-watch/fact-store.js';
import type { ReplicaFact } from './object-facts.js';

const NO_NODES: readonly string[] = Object.freeze([]);

/**
 * A replica whose data the pod can sit beside: scheduled to a node and not failed (longhorn-manager's own test,
 * `nodeID != "" && failedAt == ""`). Not `status.currentState`: a detached volume stops every replica.
 */
function usable(fact: ReplicaFact): boolean {
  return fact.nodeID !== '' && !fact.failed;
}

/**
 * Replicas by name (they are read from one namespace, so the namespace is ignored) plus the index Longhorn volume ->
 * nodes holding a usable replica, kept up to date per event: a replica moved from node A to B (MODIFIED), deleted,
 * scheduled late (nodeID "" -> "B") or failed (failedAt set) moves or drops its index entry.
 * Index entries are small frozen arrays replaced on change (copy-on-write), so an array handed to a caller never
 * changes under it, and a lookup allocates nothing in the common case.
 */
export class ReplicaIndex implements FactSink<ReplicaFact> {
  private replicas = new Map<string, ReplicaFact>();
  // Sorted node names, one per scheduled replica: two replicas on one node (soft anti-affinity) appear twice, so
  // removing one leaves the other.
  private byVolume = new Map<string, readonly string[]>();

  get size(): number {
    return this.replicas.size;
  }

  /** Number of Longhorn volumes with at least one scheduled replica. */
  get volumeCount(): number {
    return this.byVolume.size;
  }

  /** Distinct nodes holding a usable replica of `volume`, sorted; empty when none is known. */
  nodesOf(volume: string): readonly string[] {
    const nodes = this.byVolume.get(volume);
    if (nodes === undefined) return NO_NODES;
    for (let i = 1; i < nodes.length; i++) {
      if (nodes[i] === nodes[i - 1]) return Object.freeze([...new Set(nodes)]);
    }
    return nodes;
  }

  replaceAll(entries: readonly FactEntry<ReplicaFact>[]): void {
    this.replicas = new Map();
    this.byVolume = new Map();
    for (const [namespace, name, fact] of entries) this.set(namespace, name, fact);
  }

  set(_namespace: string, key: string, fact: ReplicaFact): void {
    const previous = this.replicas.get(key);
    this.replicas.set(key, fact);
    if (previous !== undefined) {
      // Most replica updates are status changes: leave the index alone when volume and node are unchanged.
      if (previous.volumeName === fact.volumeName && previous.nodeID === fact.nodeID && previous.failed === fact.failed) return;
      this.unindex(previous);
    }
    this.index(fact);
  }

  delete(_namespace: string, key: string): void {
    const previous = this.replicas.get(key);
    if (previous === undefined) return;
    this.replicas.delete(key);
    this.unindex(previous);
  }

  clear(): void {
    this.replicas = new Map();
    this.byVolume = new Map();
  }

  private index(fact: ReplicaFact): void {
    if (!usable(fact)) return;
    const current = this.byVolume.get(fact.volumeName) ?? NO_NODES;
    const next = [...current, fact.nodeID].sort();
    this.byVolume.set(fact.volumeName, Object.freeze(next));
  }

  private unindex(fact: ReplicaFact): void {
    if (!usable(fact)) return;
    const current = this.byVolume.get(fact.volumeName);
    if (current === undefined) return;
    const at = current.indexOf(fact.nodeID);
    if (at === -1) return;
    if (current.length === 1) {
      this.byVolume.delete(fact.volumeName);
      return;
    }
    this.byVolume.set(fact.volumeName, Object.freeze(current.filter((_, i) => i !== at)));
  }
}

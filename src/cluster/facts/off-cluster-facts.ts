import type { ClusterFacts, FactsStatus } from '../../core/cluster-facts.js';
import { shortenReason } from './facts-status.js';

/**
 * Facts when co-location cannot or must not run (no cluster access, or `affinity.mode: off`): status `off` with
 * the reason, and no facts, so the core skips co-location and says why.
 */
export class OffClusterFacts implements ClusterFacts {
  private readonly current: FactsStatus;

  constructor(reason: string) {
    this.current = Object.freeze({ state: 'off', reason: shortenReason(reason) });
  }

  status(): FactsStatus {
    return this.current;
  }

  claim(): undefined {
    return undefined;
  }

  volume(): undefined {
    return undefined;
  }

  replicaNodes(): undefined {
    return undefined;
  }

  node(): undefined {
    return undefined;
  }

  storageClass(): undefined {
    return undefined;
  }
}

import { describe, expect, it } from 'vitest';
import { InMemoryClusterFacts } from '../support/in-memory-cluster-facts.js';

describe('InMemoryClusterFacts', () => {
  it('answers from what was set, starting synced', () => {
    const facts = new InMemoryClusterFacts()
      .addClaim('ns', 'home', 'pvc-1')
      .addVolume('pvc-1', { csiDriver: 'driver.longhorn.io', volumeHandle: 'pvc-1', nodeLocal: false, readWriteMany: false })
      .addReplica('pvc-1', 'node-b')
      .addReplica('pvc-1', 'node-a')
      .addReplica('pvc-1', 'node-a')
      .addReplica('pvc-1', '')
      .addNode('node-a', { ready: true, unschedulable: false });
    expect(facts.status()).toEqual({ state: 'synced' });
    expect(facts.claim('ns', 'home')).toEqual({ volumeName: 'pvc-1' });
    expect(facts.claim('other', 'home')).toBeUndefined();
    expect(facts.volume('pvc-1')?.csiDriver).toBe('driver.longhorn.io');
    expect(facts.replicaNodes('pvc-1')).toEqual(['node-a', 'node-b']);
    expect(facts.replicaNodes('unknown')).toEqual([]);
    expect(facts.node('node-a')).toEqual({ ready: true, unschedulable: false });
    facts.removeReplica('pvc-1', 'node-b');
    expect(facts.replicaNodes('pvc-1')).toEqual(['node-a']);
  });

  it('can play a degraded cluster', () => {
    const facts = new InMemoryClusterFacts().addReplica('v', 'n');
    facts.setReplicasUnavailable().setStatus({ state: 'degraded', reason: 'longhorn replicas unavailable: CRD replicas.longhorn.io not found' });
    expect(facts.replicaNodes('v')).toBeUndefined();
    expect(facts.status().state).toBe('degraded');
    facts.setReplicasUnavailable(false);
    expect(facts.replicaNodes('v')).toEqual(['n']);
  });
});

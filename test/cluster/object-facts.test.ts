import { describe, expect, it } from 'vitest';
import { claimFact, nodeFact, objectIdentity, replicaFact, volumeFact } from '../../src/cluster/object-facts.js';

const JUNK: unknown[] = [undefined, null, 0, 'x', [], true, { spec: null }, { spec: [] }, { spec: 'x' }, { status: 7 }];

describe('object -> fact transforms', () => {
  it('never throw on malformed input', () => {
    for (const junk of JUNK) {
      expect(() => [claimFact(junk), volumeFact(junk), nodeFact(junk), replicaFact(junk), objectIdentity(junk)]).not.toThrow();
    }
    expect(objectIdentity({ metadata: { name: 7 } })).toBeUndefined();
    expect(objectIdentity(null)).toBeUndefined();
  });

  it('PVC: spec.volumeName, "" while unbound', () => {
    expect(claimFact({ spec: { volumeName: 'pvc-1' } })).toEqual({ volumeName: 'pvc-1' });
    expect(claimFact({ spec: {} })).toEqual({ volumeName: '' });
    expect(claimFact({ spec: { volumeName: 3 } })).toEqual({ volumeName: '' });
    expect(claimFact(null)).toBeUndefined();
  });

  it.each([
    ['Longhorn CSI', { spec: { csi: { driver: 'driver.longhorn.io', volumeHandle: 'pvc-x' } } }, { csiDriver: 'driver.longhorn.io', volumeHandle: 'pvc-x', hasNodeAffinity: false }],
    ['local-path', { spec: { hostPath: {}, nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [] }] } } } }, { csiDriver: '', volumeHandle: '', hasNodeAffinity: true }],
    ['empty term list', { spec: { nodeAffinity: { required: { nodeSelectorTerms: [] } } } }, { csiDriver: '', volumeHandle: '', hasNodeAffinity: false }],
    ['terms not a list', { spec: { nodeAffinity: { required: { nodeSelectorTerms: {} } } } }, { csiDriver: '', volumeHandle: '', hasNodeAffinity: false }],
    ['no spec', {}, { csiDriver: '', volumeHandle: '', hasNodeAffinity: false }],
  ])('PV: %s', (_name, pv, fact) => {
    expect(volumeFact(pv)).toEqual(fact);
  });

  it.each([
    ['Ready', { status: { conditions: [{ type: 'Ready', status: 'True' }] } }, { ready: true, unschedulable: false }],
    ['NotReady', { status: { conditions: [{ type: 'Ready', status: 'False' }] } }, { ready: false, unschedulable: false }],
    ['Unknown', { status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }, { ready: false, unschedulable: false }],
    ['no conditions', { status: {} }, { ready: false, unschedulable: false }],
    ['cordoned', { spec: { unschedulable: true }, status: { conditions: [null, { type: 'Ready', status: 'True' }] } }, { ready: true, unschedulable: true }],
    ['unschedulable not a boolean', { spec: { unschedulable: 'true' } }, { ready: false, unschedulable: false }],
  ])('Node: %s', (_name, node, fact) => {
    expect(nodeFact(node)).toEqual(fact);
  });

  it('Replica: volume and node; no volume name -> no fact', () => {
    expect(replicaFact({ spec: { volumeName: 'v', nodeID: 'n' } })).toEqual({ volumeName: 'v', nodeID: 'n' });
    expect(replicaFact({ spec: { volumeName: 'v' } })).toEqual({ volumeName: 'v', nodeID: '' });
    expect(replicaFact({ spec: { nodeID: 'n' } })).toBeUndefined();
    expect(replicaFact({})).toBeUndefined();
  });

  it('keeps no reference to the object it read', () => {
    const pv = { metadata: { name: 'p' }, spec: { csi: { driver: 'd', volumeHandle: 'h' } } };
    const fact = volumeFact(pv)!;
    expect(Object.values(fact).every((value) => typeof value !== 'object')).toBe(true);
    expect(Object.isFrozen(fact)).toBe(true);
  });
});

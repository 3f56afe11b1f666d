import { describe, expect, it } from 'vitest';
import { workspaceLocality, type Locality, type WorkspaceVolumeFacts } from '../../src/core/workspace-locality.js';

const LONGHORN = { csiDriver: 'driver.longhorn.io', volumeHandle: 'pvc-5b0f', nodeLocal: false, readWriteMany: false };
const base: WorkspaceVolumeFacts = {
  namespace: 'coder', claim: 'coder-5b0f-home', storageClass: 'longhorn', provisioner: 'driver.longhorn.io',
  volumeName: 'pvc-5b0f', volume: LONGHORN, replicas: [{ node: 'node-a', failed: false }], pods: [{ name: 'coder-5b0f-6d8f', node: 'node-a' }],
};

describe('where a workspace runs against where its data is', () => {
  it.each<[string, Partial<WorkspaceVolumeFacts>, Locality]>([
    ['pod on its only replica\'s node', {}, 'local'],
    ['pod away from its only replica: the incident', { pods: [{ name: 'p', node: 'node-b' }] }, 'remote'],
    ['pod on the node of a failed replica, the healthy one elsewhere', {
      replicas: [{ node: 'node-b', failed: true }, { node: 'node-a', failed: false }], pods: [{ name: 'p', node: 'node-b' }],
    }, 'remote'],
    ['three replicas, the pod on one of them', {
      replicas: [{ node: 'node-a', failed: false }, { node: 'node-b', failed: false }, { node: 'node-c', failed: false }], pods: [{ name: 'p', node: 'node-c' }],
    }, 'local'],
    ['no pod now, still on Longhorn: a migration candidate', { pods: [] }, 'longhorn'],
    ['a pod not scheduled yet', { pods: [{ name: 'p', node: '' }] }, 'pending'],
    ['ReadWriteMany through the share-manager', { volume: { ...LONGHORN, readWriteMany: true }, pods: [{ name: 'p', node: 'node-z' }] }, 'shared'],
    ['local-path (node-local PV)', { storageClass: 'local-path', provisioner: 'rancher.io/local-path', volume: { csiDriver: '', volumeHandle: '', nodeLocal: true, readWriteMany: false } }, 'local'],
    ['unbound', { volumeName: '', volume: undefined }, 'unbound'],
    ['another driver', { volume: { csiDriver: 'ebs.csi.aws.com', volumeHandle: 'vol-1', nodeLocal: false, readWriteMany: false } }, 'other'],
    ['PV not found', { volume: undefined }, 'unknown'],
    ['replicas unreadable (CRD missing, 403)', { replicas: undefined }, 'unknown'],
  ])('%s: %s', (_name, change, verdict) => {
    expect(workspaceLocality({ ...base, ...change }).verdict).toBe(verdict);
  });

  it('summarises the row: the Longhorn volume, replica nodes with failed ones marked, the pod and its node', () => {
    const row = workspaceLocality({ ...base, replicas: [{ node: 'node-b', failed: true }, { node: 'node-a', failed: false }, { node: '', failed: false }] });
    expect(row).toEqual({
      namespace: 'coder', pvc: 'coder-5b0f-home', storageClass: 'longhorn', provisioner: 'driver.longhorn.io',
      longhornVolume: 'pvc-5b0f', replicaNodes: ['node-b (failed)', 'node-a'], pod: 'coder-5b0f-6d8f', node: 'node-a', verdict: 'local',
    });
  });
});

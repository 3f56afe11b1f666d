import { describe, expect, it } from 'vitest';
import {
  allWorkspacesNamespaceFact, claimFact, claimFactDecoder, nodeFact, objectIdentity, podClaimsFact, replicaFact, volumeFact,
} from '../../src/cluster/facts/object-facts.js';
import { parseConfig } from '../../src/config/parse-config.js';
import { fixture } from '../support/fixtures.js';

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

  const hostname = (node: string) => ({ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] });
  const byName = (node: string) => ({ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] });
  const zone = { matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['zone-a'] }] };
  const pvWith = (terms: unknown, extra: Record<string, unknown> = {}) => ({ spec: { nodeAffinity: { required: { nodeSelectorTerms: terms } }, ...extra } });
  const none = { csiDriver: '', volumeHandle: '', nodeLocal: false, readWriteMany: false };
  it.each([
    ['Longhorn CSI', { spec: { csi: { driver: 'driver.longhorn.io', volumeHandle: 'pvc-x' }, accessModes: ['ReadWriteOnce'] } }, { ...none, csiDriver: 'driver.longhorn.io', volumeHandle: 'pvc-x' }],
    ['Longhorn RWX', { spec: { csi: { driver: 'driver.longhorn.io', volumeHandle: 'pvc-x' }, accessModes: ['ReadWriteMany'] } }, { ...none, csiDriver: 'driver.longhorn.io', volumeHandle: 'pvc-x', readWriteMany: true }],
    ['local-path (hostname term, as the provisioner writes it)', pvWith([hostname('node-1')], { hostPath: {} }), { ...none, nodeLocal: true }],
    ['Longhorn strict-local (metadata.name field)', pvWith([byName('node-1')]), { ...none, nodeLocal: true }],
    ['Longhorn strictTopology at zone level', pvWith([zone]), none],
    ['one node term ORed with a zone term', pvWith([hostname('node-1'), zone]), none],
    ['hostname NotIn', pvWith([{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'NotIn', values: ['n'] }] }]), none],
    ['an empty term', pvWith([{ matchExpressions: [] }]), none],
    ['empty term list', pvWith([]), none],
    ['terms not a list', pvWith({}), none],
    ['no spec', {}, none],
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
    expect(replicaFact({ spec: { volumeName: 'v', nodeID: 'n', failedAt: '' } })).toEqual({ volumeName: 'v', nodeID: 'n', failed: false });
    expect(replicaFact({ spec: { volumeName: 'v' } })).toEqual({ volumeName: 'v', nodeID: '', failed: false });
    // longhorn-manager writes failedAt as an RFC 3339 time when the replica fails, "" when healthy.
    expect(replicaFact({ spec: { volumeName: 'v', nodeID: 'n', failedAt: '2026-11-30T08:12:44Z' } })).toEqual({ volumeName: 'v', nodeID: 'n', failed: true });
    expect(replicaFact({ spec: { nodeID: 'n' } })).toBeUndefined();
    expect(replicaFact({})).toBeUndefined();
  });

  it('PVC with the workspace selectors: Coder\'s claims are marked, others are not', () => {
    const decode = claimFactDecoder(parseConfig({}).workspaceSelectors);
    expect(decode(fixture('pvcs/coder-home-longhorn.json'))).toMatchObject({ workspace: true });
    expect(decode(fixture('pvcs/devcontainer-no-class.json'))).toMatchObject({ volumeName: '', workspace: true });
    expect(decode(fixture('pvcs/not-a-workspace-longhorn.json'))).not.toHaveProperty('workspace');
    expect(decode({ metadata: { labels: 'x' }, spec: { volumeName: 'v' } })).toEqual({ volumeName: 'v' });
    for (const junk of JUNK) expect(() => decode(junk)).not.toThrow();
  });

  it.each([
    ['the kubernetes template\'s pod, scheduled', 'pods/coder-kubernetes-template.json', 'node-1', { node: 'node-1', claims: ['coder-7f3e2b1c-9d4a-4e5f-8a6b-1c2d3e4f5a6b-home'] }],
    ['envbox', 'pods/coder-envbox.json', 'node-2', { node: 'node-2', claims: ['coder-alice-envbox-home'] }],
  ])('Pod: %s', (_name, file, nodeName, fact) => {
    const pod = fixture(file) as { spec: Record<string, unknown> };
    pod.spec.nodeName = nodeName;
    const decoded = podClaimsFact(pod);
    expect(decoded).toEqual(fact);
  });

  it('Pod: finished pods hold no volume; unscheduled ones have node ""; junk is no fact', () => {
    const pod = (phase: string, nodeName?: string) => ({
      spec: { ...(nodeName ? { nodeName } : {}), volumes: [{ name: 'home', persistentVolumeClaim: { claimName: 'c' } }, { name: 'x', emptyDir: {} }] },
      status: { phase },
    });
    expect(podClaimsFact(pod('Running', 'n1'))).toEqual({ node: 'n1', claims: ['c'] });
    expect(podClaimsFact(pod('Pending'))).toEqual({ node: '', claims: ['c'] });
    expect(podClaimsFact(pod('Succeeded', 'n1'))).toBeUndefined();
    expect(podClaimsFact(pod('Failed', 'n1'))).toBeUndefined();
    expect(podClaimsFact({ spec: { volumes: [{ persistentVolumeClaim: { claimName: 7 } }] } })).toBeUndefined();
    for (const junk of JUNK) expect(() => podClaimsFact(junk)).not.toThrow();
  });

  it('Namespace: kept only when labelled workspace-storage.dev/workspaces=all', () => {
    expect(allWorkspacesNamespaceFact({ metadata: { labels: { 'workspace-storage.dev/workspaces': 'all' } } })).toBe(true);
    expect(allWorkspacesNamespaceFact({ metadata: { labels: { 'workspace-storage.dev/workspaces': 'selected' } } })).toBeUndefined();
    expect(allWorkspacesNamespaceFact({ metadata: {} })).toBeUndefined();
  });

  it('keeps no reference to the object it read', () => {
    const pv = { metadata: { name: 'p' }, spec: { csi: { driver: 'd', volumeHandle: 'h' } } };
    const fact = volumeFact(pv)!;
    expect(Object.values(fact).every((value) => typeof value !== 'object')).toBe(true);
    expect(Object.isFrozen(fact)).toBe(true);
  });
});

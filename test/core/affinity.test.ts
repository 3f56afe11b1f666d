import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.js';
import { decide } from '../../src/core/decide.js';
import type { NodeSelectorTerm, Pod } from '../../src/kube/kube-types.js';
import { InMemoryClusterFacts } from '../support/in-memory-cluster-facts.js';
import { applyDecision, createInput, fixture } from '../support/fixtures.js';

const NS = 'coder-workspaces';
const HOME = 'coder-7f3e2b1c-9d4a-4e5f-8a6b-1c2d3e4f5a6b-home';
const required = parseConfig({});
const preferred = parseConfig({ affinity: { mode: 'preferred', preferredWeight: 80 } });

/** A cluster with nodes a..d Ready; node-x NotReady; node-c cordoned. */
function cluster(): InMemoryClusterFacts {
  const facts = new InMemoryClusterFacts();
  for (const name of ['node-a', 'node-b', 'node-d']) facts.addNode(name, { ready: true, unschedulable: false });
  facts.addNode('node-x', { ready: false, unschedulable: false });
  facts.addNode('node-c', { ready: true, unschedulable: true });
  facts.setStatus({ state: 'synced' });
  return facts;
}

function longhornClaim(facts: InMemoryClusterFacts, claim: string, volume: string, replicaNodes: string[]): void {
  facts.addClaim(NS, claim, volume);
  facts.addVolume(volume, { csiDriver: 'driver.longhorn.io', volumeHandle: volume, nodeLocal: false, readWriteMany: false });
  for (const node of replicaNodes) facts.addReplica(volume, node);
}

function workspacePod(extraClaims: string[] = []): Pod {
  const pod = fixture('pods/coder-kubernetes-template.json');
  for (const claim of extraClaims) {
    pod.spec!.volumes!.push({ name: claim, persistentVolumeClaim: { claimName: claim } });
    pod.spec!.containers![0]!.volumeMounts!.push({ name: claim, mountPath: `/data/${claim}` });
  }
  return pod;
}

function requiredTerms(pod: Pod): NodeSelectorTerm[] | undefined {
  return pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
}

/** The pin: one term per node, selecting the Node by name (`metadata.name In [node]`, one value per term). */
const named = (node: string) => ({ key: 'metadata.name', operator: 'In', values: [node] });
const pinnedTo = (...nodes: string[]): NodeSelectorTerm[] => nodes.map((node) => ({ matchFields: [named(node)] }));

interface Case {
  setup: (facts: InMemoryClusterFacts) => void;
  pod?: () => Pod;
  terms: NodeSelectorTerm[] | undefined;
  warning?: RegExp;
}

const cases: [string, Case][] = [
  ['single replica: pinned to its node', {
    setup: (f) => longhornClaim(f, HOME, 'pvc-home', ['node-b']),
    terms: pinnedTo('node-b'),
  }],
  ['three replicas: any of their nodes', {
    setup: (f) => longhornClaim(f, HOME, 'pvc-home', ['node-d', 'node-a', 'node-b']),
    terms: pinnedTo('node-a', 'node-b', 'node-d'),
  }],
  ['replicas on NotReady and cordoned nodes are not candidates', {
    setup: (f) => longhornClaim(f, HOME, 'pvc-home', ['node-x', 'node-c', 'node-a']),
    terms: pinnedTo('node-a'),
  }],
  ['only replica on a NotReady node: not pinned, warned', {
    setup: (f) => longhornClaim(f, HOME, 'pvc-home', ['node-x']),
    terms: undefined, warning: /no Ready schedulable node holds a replica of pvc-home/,
  }],
  ['unscheduled replica (empty nodeID) is ignored', {
    setup: (f) => { longhornClaim(f, HOME, 'pvc-home', ['node-a']); f.addReplica('pvc-home', ''); },
    terms: pinnedTo('node-a'),
  }],
  ['two volumes with a common node: the intersection', {
    setup: (f) => { longhornClaim(f, HOME, 'pvc-home', ['node-a', 'node-b']); longhornClaim(f, 'cache', 'pvc-cache', ['node-b', 'node-d']); },
    pod: () => workspacePod(['cache']),
    terms: pinnedTo('node-b'),
  }],
  ['two volumes without a common node: not pinned, warned', {
    setup: (f) => { longhornClaim(f, HOME, 'pvc-home', ['node-a']); longhornClaim(f, 'cache', 'pvc-cache', ['node-b']); },
    pod: () => workspacePod(['cache']),
    terms: undefined, warning: /no node holds replicas of all of pvc-home, pvc-cache/,
  }],
  ['deprecated io.rancher.longhorn driver', {
    setup: (f) => {
      f.addClaim(NS, HOME, 'pv-old');
      f.addVolume('pv-old', { csiDriver: 'io.rancher.longhorn', volumeHandle: 'old-vol', nodeLocal: false, readWriteMany: false });
      f.addReplica('old-vol', 'node-d');
    },
    terms: pinnedTo('node-d'),
  }],
  ['local-path PV already carries node affinity: nothing added', {
    setup: (f) => { f.addClaim(NS, HOME, 'pvc-lp'); f.addVolume('pvc-lp', { csiDriver: '', volumeHandle: '', nodeLocal: true, readWriteMany: false }); },
    terms: undefined,
  }],
  ['unbound PVC: nothing to pin', { setup: (f) => f.addClaim(NS, HOME, ''), terms: undefined }],
  ['local-path home plus a Longhorn cache: pinned by the Longhorn one', {
    setup: (f) => {
      f.addClaim(NS, HOME, 'pvc-lp');
      f.addVolume('pvc-lp', { csiDriver: '', volumeHandle: '', nodeLocal: true, readWriteMany: false });
      longhornClaim(f, 'cache', 'pvc-cache', ['node-d']);
    },
    pod: () => workspacePod(['cache']),
    terms: pinnedTo('node-d'),
  }],
  ['existing required terms (several, one with matchFields): ANDed into every term', {
    setup: (f) => longhornClaim(f, HOME, 'pvc-home', ['node-a']),
    pod: () => {
      const pod = workspacePod();
      pod.spec!.affinity!.nodeAffinity = {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.xlarge'] }] },
            { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['node-b'] }] },
          ],
        },
      };
      return pod;
    },
    terms: [
      { matchExpressions: [{ key: 'node.kubernetes.io/instance-type', operator: 'In', values: ['m5.xlarge'] }], matchFields: [named('node-a')] },
      { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['node-b'] }, named('node-a')] },
    ],
  }],
  ['existing required terms and two replica nodes: one term per (term, node)', {
    setup: (f) => longhornClaim(f, HOME, 'pvc-home', ['node-d', 'node-a']),
    pod: () => {
      const pod = workspacePod();
      pod.spec!.affinity!.nodeAffinity = {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }],
        },
      };
      return pod;
    },
    terms: [
      { matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }], matchFields: [named('node-a')] },
      { matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }], matchFields: [named('node-d')] },
    ],
  }],
  ['a failed replica is gone from the facts: the healthy replica\'s node is chosen', {
    // The informer-backed facts drop replicas with spec.failedAt (replica-index.test.ts, informer tests).
    setup: (f) => longhornClaim(f, HOME, 'pvc-home', ['node-d']),
    terms: pinnedTo('node-d'),
  }],
  ['ReadWriteMany Longhorn volume (share-manager over NFS): not pinned, noted', {
    setup: (f) => {
      f.addClaim(NS, HOME, 'pvc-rwx');
      f.addVolume('pvc-rwx', { csiDriver: 'driver.longhorn.io', volumeHandle: 'pvc-rwx', nodeLocal: false, readWriteMany: true });
      f.addReplica('pvc-rwx', 'node-a');
    },
    terms: undefined,
  }],
  ['zone-level PV affinity (Longhorn strictTopology) is not node-local: still pinned by replicas', {
    // object-facts.test.ts: a zone term yields nodeLocal false.
    setup: (f) => longhornClaim(f, HOME, 'pvc-home', ['node-b']),
    terms: pinnedTo('node-b'),
  }],
  ['pod without any affinity object', {
    setup: (f) => longhornClaim(f, HOME, 'pvc-home', ['node-b']),
    pod: () => { const pod = workspacePod(); delete pod.spec!.affinity; return pod; },
    terms: pinnedTo('node-b'),
  }],
  ['replica facts unavailable (CRD missing): degraded with a warning', {
    setup: (f) => {
      f.addClaim(NS, HOME, 'pvc-home');
      f.addVolume('pvc-home', { csiDriver: 'driver.longhorn.io', volumeHandle: 'pvc-home', nodeLocal: false, readWriteMany: false });
      f.setReplicasUnavailable();
      f.setStatus({ state: 'degraded', reason: 'longhorn replicas unavailable: CRD not found' });
    },
    terms: undefined, warning: /co-location degraded, volume pvc-home not pinned: longhorn replicas unavailable/,
  }],
];

describe('node affinity from Longhorn replica placement', () => {
  it.each(cases)('%s', (_name, c) => {
    const facts = cluster();
    c.setup(facts);
    const pod = (c.pod ?? (() => workspacePod()))();
    const decision = decide(createInput(pod), required, facts);
    const patched = applyDecision(pod, decision);
    expect(requiredTerms(patched)).toEqual(c.terms);
    // What the pod already had stays: pod anti-affinity, tolerations, node selector.
    expect(patched.spec?.affinity?.podAntiAffinity).toEqual(pod.spec?.affinity?.podAntiAffinity);
    expect(patched.spec?.tolerations).toEqual(pod.spec?.tolerations);
    if (c.warning) expect(decision.warnings.some((w) => c.warning!.test(w)), decision.warnings.join('\n')).toBe(true);
    else expect(decision.warnings.filter((w) => !w.includes('memory limit'))).toEqual([]);
    expect(decide(createInput(patched), required, facts).operations).toEqual([]);
    if (c.terms) expect(decision.mutations.find((m) => m.type === 'affinity')?.detail).toMatch(/^required node-/);
  });

  it('preferred mode adds a weighted preferred term per replica node and keeps existing ones', () => {
    const facts = cluster();
    longhornClaim(facts, HOME, 'pvc-home', ['node-a']);
    const pod = workspacePod();
    pod.spec!.affinity!.nodeAffinity = {
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] } }],
    };
    const decision = decide(createInput(pod), preferred, facts);
    const patched = applyDecision(pod, decision);
    expect(patched.spec?.affinity?.nodeAffinity).toEqual({
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 5, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] } },
        { weight: 80, preference: { matchFields: [named('node-a')] } },
      ],
    });
    expect(decide(createInput(patched), preferred, facts).operations).toEqual([]);
  });

  it('mode off adds nothing', () => {
    const facts = cluster();
    longhornClaim(facts, HOME, 'pvc-home', ['node-a']);
    const pod = workspacePod();
    const patched = applyDecision(pod, decide(createInput(pod), parseConfig({ affinity: { mode: 'off' } }), facts));
    expect(patched.spec?.affinity).toEqual(pod.spec?.affinity);
  });

  it('mixes with tmpfs work in one patch', () => {
    const facts = cluster();
    longhornClaim(facts, HOME, 'pvc-home', ['node-a']);
    const pod = workspacePod();
    const decision = decide(createInput(pod), parseConfig({ tmpfs: { projects: ['/home/coder/app'] } }), facts);
    const patched = applyDecision(pod, decision);
    expect(requiredTerms(patched)).toEqual(pinnedTo('node-a'));
    expect(patched.spec?.volumes?.filter((v) => v.emptyDir?.medium === 'Memory')).toHaveLength(2);
    expect(new Set(decision.mutations.map((m) => m.type))).toEqual(new Set(['tmpfs', 'affinity']));
  });
});

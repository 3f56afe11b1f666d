import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.js';
import { decide } from '../../src/core/decide.js';
import type { PersistentVolumeClaim, Pod } from '../../src/kube/kube-types.js';
import { APPLIED_ANNOTATION, MAX_SUMMARY_LENGTH, WARNINGS_ANNOTATION } from '../../src/core/object-annotations.js';
import { applyDecision, createInput, fixture } from '../support/fixtures.js';
import { InMemoryClusterFacts } from '../support/in-memory-cluster-facts.js';

const config = parseConfig({ tmpfs: { projects: ['/home/coder/app'] } });

/** The kubernetes template's cluster: its home claim on a Longhorn volume with one replica on node-b. */
function longhornCluster(): InMemoryClusterFacts {
  const facts = new InMemoryClusterFacts();
  facts.addNode('node-b', { ready: true, unschedulable: false });
  facts.addClaim('coder-workspaces', 'coder-7f3e2b1c-9d4a-4e5f-8a6b-1c2d3e4f5a6b-home', 'pvc-home');
  facts.addVolume('pvc-home', { csiDriver: 'driver.longhorn.io', volumeHandle: 'pvc-home', nodeLocal: false, readWriteMany: false });
  facts.addReplica('pvc-home', 'node-b');
  return facts;
}

const annotationsOf = (object: Pod | PersistentVolumeClaim) => object.metadata?.annotations ?? {};

describe('what was done, written on the object', () => {
  it.each([
    ['kubernetes template pod (2Gi: tmpfs warned)', () => fixture<Pod>('pods/coder-kubernetes-template.json'),
      /^tmpfs: \/home\/coder\/app\/node_modules=16Gi in dev; tmpfs: \/home\/coder\/app\/\.next=8Gi in dev; tmpfs: project dirs \/home\/coder\/app created as uid 1000; affinity: required node-b for pvc-home$/,
      /container dev: memory limit 2Gi < tmpfs 24Gi \+ request 512Mi/],
    ['home PVC on longhorn', () => fixture<PersistentVolumeClaim>('pvcs/coder-home-longhorn.json'),
      /^storage-class: longhorn->local-path$/, undefined],
  ] as const)('%s: applied summary, warnings when there are some, other annotations kept', (_name, make, applied, warning) => {
    const object = make();
    (object.metadata!.annotations ??= {})['example.com/keep'] = 'me';
    const patched = applyDecision(object, decide(createInput(object), config, longhornCluster()));
    expect(annotationsOf(patched)[APPLIED_ANNOTATION]).toMatch(applied);
    if (warning) expect(annotationsOf(patched)[WARNINGS_ANNOTATION]).toMatch(warning);
    else expect(annotationsOf(patched)[WARNINGS_ANNOTATION]).toBeUndefined();
    expect(annotationsOf(patched)['example.com/keep']).toBe('me');
    expect(decide(createInput(patched), config, longhornCluster()).operations).toEqual([]);
  });

  it('an object without annotations gets the annotations object; an untouched one gets nothing', () => {
    const pod = fixture<Pod>('pods/coder-kubernetes-template.json');
    expect(pod.metadata?.annotations).toBeUndefined();
    expect(annotationsOf(applyDecision(pod, decide(createInput(pod), config, longhornCluster())))[APPLIED_ANNOTATION]).toBeDefined();
    const untouched = fixture<PersistentVolumeClaim>('pvcs/explicit-no-class.json');
    expect(decide(createInput(untouched), config, longhornCluster()).operations).toEqual([]);
  });

  it('a later pass with changes of its own (a container added by another webhook) appends to the summary', () => {
    const facts = longhornCluster();
    const first = applyDecision(fixture<Pod>('pods/coder-kubernetes-template.json'), decide(createInput(fixture<Pod>('pods/coder-kubernetes-template.json')), config, facts));
    first.spec!.containers!.push({ name: 'sidecar', image: 'example/sidecar', volumeMounts: [{ name: 'home', mountPath: '/home/coder' }] });
    const second = applyDecision(first, decide(createInput(first), config, facts));
    const applied = annotationsOf(second)[APPLIED_ANNOTATION]!;
    expect(applied.startsWith(`${annotationsOf(first)[APPLIED_ANNOTATION]!}; tmpfs: /home/coder/app/node_modules=16Gi in sidecar`)).toBe(true);
    expect(decide(createInput(second), config, facts).operations).toEqual([]);
  });

  it(`stays within ${MAX_SUMMARY_LENGTH} characters whatever the pod`, () => {
    const pod = fixture<Pod>('pods/coder-kubernetes-template.json');
    const dev = pod.spec!.containers![0]!;
    pod.spec!.containers = Array.from({ length: 300 }, (_, i) => ({ ...structuredClone(dev), name: `dev-${i}` }));
    const patched = applyDecision(pod, decide(createInput(pod), config, longhornCluster()));
    expect(annotationsOf(patched)[APPLIED_ANNOTATION]!.length).toBeLessThanOrEqual(MAX_SUMMARY_LENGTH);
    expect(annotationsOf(patched)[APPLIED_ANNOTATION]).toMatch(/\(truncated\)$/);
    expect(annotationsOf(patched)[WARNINGS_ANNOTATION]!.length).toBeLessThanOrEqual(MAX_SUMMARY_LENGTH);
  });
});

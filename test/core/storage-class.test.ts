import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.js';
import { decide } from '../../src/core/decide.js';
import type { PersistentVolumeClaim } from '../../src/kube/kube-types.js';
import { InMemoryClusterFacts } from '../support/in-memory-cluster-facts.js';
import { applyDecision, createInput, fixture } from '../support/fixtures.js';

const config = parseConfig({});
const facts = new InMemoryClusterFacts();
const LEGACY = 'volume.beta.kubernetes.io/storage-class';
const ORIGINAL = 'workspace-storage.dev/original-storage-class';

interface Expected {
  outcome: 'mutated' | 'unchanged' | 'skipped';
  spec: string | null | undefined;
  legacy?: string;
  original?: string;
}

const claim = (path: string) => () => fixture<PersistentVolumeClaim>(path);
const cases: [string, () => PersistentVolumeClaim, Expected][] = [
  ['Coder home PVC with storageClassName longhorn', claim('pvcs/coder-home-longhorn.json'),
    { outcome: 'mutated', spec: 'local-path', original: 'longhorn' }],
  ['hand-made PVC with the legacy annotation only', claim('pvcs/hand-made-legacy-annotation.json'),
    { outcome: 'mutated', spec: 'local-path', legacy: 'local-path', original: 'longhorn' }],
  ['devcontainer PVC with no class (the default class applies)', claim('pvcs/devcontainer-no-class.json'),
    { outcome: 'unchanged', spec: undefined }],
  ['explicit "" (no class) is left alone', claim('pvcs/explicit-no-class.json'), { outcome: 'unchanged', spec: '' }],
  ['non-workspace PVC on longhorn is not touched', claim('pvcs/not-a-workspace-longhorn.json'), { outcome: 'skipped', spec: 'longhorn' }],
  ['already local-path', () => {
    const pvc = fixture<PersistentVolumeClaim>('pvcs/coder-home-longhorn.json');
    pvc.spec!.storageClassName = 'local-path';
    return pvc;
  }, { outcome: 'unchanged', spec: 'local-path' }],
  ['legacy annotation wins over the spec: annotation "" keeps spec longhorn as is', () => {
    const pvc = fixture<PersistentVolumeClaim>('pvcs/coder-home-longhorn.json');
    pvc.metadata!.annotations = { [LEGACY]: '' };
    return pvc;
  }, { outcome: 'unchanged', spec: 'longhorn', legacy: '' }],
  ['legacy annotation longhorn and spec longhorn: both rewritten', () => {
    const pvc = fixture<PersistentVolumeClaim>('pvcs/coder-home-longhorn.json');
    (pvc.metadata!.annotations ??= {})[LEGACY] = 'longhorn';
    return pvc;
  }, { outcome: 'mutated', spec: 'local-path', legacy: 'local-path', original: 'longhorn' }],
  ['no annotations object at all', () => {
    const pvc = fixture<PersistentVolumeClaim>('pvcs/coder-home-longhorn.json');
    delete pvc.metadata!.annotations;
    return pvc;
  }, { outcome: 'mutated', spec: 'local-path', original: 'longhorn' }],
  ['devcontainer claim labelled only com.coder.resource, longhorn filled in as the default class', () => {
    const pvc = fixture<PersistentVolumeClaim>('pvcs/devcontainer-no-class.json');
    pvc.spec!.storageClassName = 'longhorn';
    return pvc;
  }, { outcome: 'mutated', spec: 'local-path', original: 'longhorn' }],
  ['storageClassName null', () => {
    const pvc = fixture<PersistentVolumeClaim>('pvcs/coder-home-longhorn.json');
    pvc.spec!.storageClassName = null;
    return pvc;
  }, { outcome: 'unchanged', spec: null }],
];

/** The home claim with `change` applied to its spec: what local-path can or cannot serve. */
function homeClaimWith(change: Record<string, unknown>): PersistentVolumeClaim {
  const pvc = fixture<PersistentVolumeClaim>('pvcs/coder-home-longhorn.json');
  pvc.spec = { ...pvc.spec, ...change };
  return pvc;
}

const misfits: [string, Record<string, unknown>, RegExp][] = [
  ['ReadWriteMany (a shared disk)', { accessModes: ['ReadWriteMany'] }, /access mode ReadWriteMany/],
  ['ReadOnlyMany beside ReadWriteOnce', { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] }, /access mode ReadOnlyMany/],
  ['volumeMode Block', { volumeMode: 'Block' }, /volumeMode Block/],
  ['a snapshot restore (dataSourceRef)', { dataSourceRef: { apiGroup: 'snapshot.storage.k8s.io', kind: 'VolumeSnapshot', name: 's' } }, /data source \(VolumeSnapshot\)/],
  ['a clone (dataSource)', { dataSource: { kind: 'PersistentVolumeClaim', name: 'old-home' } }, /data source \(PersistentVolumeClaim\)/],
  ['pre-bound to a PV (volumeName)', { volumeName: 'pvc-0a1b' }, /pre-bound volumeName pvc-0a1b/],
  ['a PV selector', { selector: { matchLabels: { tier: 'fast' } } }, /a PV selector/],
];

describe('PVC storage class: claims local-path cannot serve keep their class', () => {
  it.each(misfits)('%s: stored unchanged, with a warning and a note', (_name, change, why) => {
    const pvc = homeClaimWith(change);
    const decision = decide(createInput(pvc), config, facts);
    expect(decision.operations).toEqual([]);
    expect(decision.outcome).toBe('unchanged');
    expect(decision.warnings).toHaveLength(1);
    expect(decision.warnings[0]).toMatch(/^PVC stays on longhorn: local-path cannot serve /);
    expect(decision.warnings[0]).toMatch(why);
    expect(decision.warnings[0]!.length).toBeLessThanOrEqual(120);
    expect(decision.notes.join('\n')).toMatch(why);
  });

  it.each([['ReadWriteOncePod', { accessModes: ['ReadWriteOncePod'] }], ['Filesystem mode', { volumeMode: 'Filesystem' }]])(
    '%s is served: rewritten', (_name, change) => {
      const patched = applyDecision(homeClaimWith(change), decide(createInput(homeClaimWith(change)), config, facts));
      expect(patched.spec?.storageClassName).toBe('local-path');
    });
});

describe('PVC storage class rewrite', () => {
  it.each(cases)('%s', (_name, make, expected) => {
    const pvc = make();
    const decision = decide(createInput(pvc), config, facts);
    expect(decision.outcome).toBe(expected.outcome);
    const patched = applyDecision(pvc, decision);
    expect(patched.spec?.storageClassName).toBe(expected.spec);
    expect(patched.metadata?.annotations?.[LEGACY]).toBe(expected.legacy);
    expect(patched.metadata?.annotations?.[ORIGINAL]).toBe(expected.original);
    // Everything else is the claim as it came.
    const { spec: _s, metadata: _m, ...rest } = patched;
    const { spec: _s2, metadata: _m2, ...restBefore } = pvc;
    expect(rest).toEqual(restBefore);
    expect(patched.metadata?.labels).toEqual(pvc.metadata?.labels);
  });

  it('follows a configured rewrite map', () => {
    const custom = parseConfig({ storageClass: { rewrite: { 'longhorn-ssd': 'local-ssd', longhorn: 'local-path' } } });
    const pvc = fixture<PersistentVolumeClaim>('pvcs/coder-home-longhorn.json');
    pvc.spec!.storageClassName = 'longhorn-ssd';
    const patched = applyDecision(pvc, decide(createInput(pvc), custom, facts));
    expect(patched.spec?.storageClassName).toBe('local-ssd');
    expect(patched.metadata?.annotations?.[ORIGINAL]).toBe('longhorn-ssd');
  });

  it('only on CREATE: the spec is immutable afterwards', () => {
    const decision = decide(createInput(fixture<PersistentVolumeClaim>('pvcs/coder-home-longhorn.json'), 'UPDATE'), config, facts);
    expect(decision.outcome).toBe('skipped');
  });
});

describe('storageClass.rewriteProvisioners: custom Longhorn classes, known from the StorageClass cache', () => {
  const custom = parseConfig({ storageClass: { rewriteProvisioners: { 'driver.longhorn.io': 'local-path' } } });
  const claimOn = (className: string) => {
    const pvc = fixture<PersistentVolumeClaim>('pvcs/coder-home-longhorn.json');
    pvc.spec!.storageClassName = className;
    return pvc;
  };
  const cluster = () => new InMemoryClusterFacts()
    .addStorageClass('longhorn-ssd', 'driver.longhorn.io')
    .addStorageClass('longhorn-legacy', 'io.rancher.longhorn')
    .addStorageClass('nfs', 'nfs.csi.k8s.io')
    .addStorageClass('local-path', 'rancher.io/local-path');

  it.each([
    ['a custom Longhorn class', 'longhorn-ssd', 'local-path'],
    ['longhorn itself, still through storageClass.rewrite', 'longhorn', 'local-path'],
    ['a class of another provisioner', 'nfs', 'nfs'],
    ['a provisioner not in the map', 'longhorn-legacy', 'longhorn-legacy'],
    ['the target class', 'local-path', 'local-path'],
  ])('%s: %s -> %s', (_name, from, to) => {
    const facts = cluster();
    const patched = applyDecision(claimOn(from), decide(createInput(claimOn(from)), custom, facts));
    expect(patched.spec?.storageClassName).toBe(to);
    if (from !== to) expect(patched.metadata?.annotations?.[ORIGINAL]).toBe(from);
    expect(decide(createInput(patched), custom, facts).operations).toEqual([]);
  });

  it('a class the cache does not know while it is not synced: not rewritten, with a warning saying why', () => {
    const facts = new InMemoryClusterFacts().setStatus({ state: 'syncing', reason: 'initial list of storage classes' });
    const decision = decide(createInput(claimOn('longhorn-ssd')), custom, facts);
    expect(decision.operations).toEqual([]);
    expect(decision.warnings).toEqual(['storage class longhorn-ssd not rewritten: its provisioner is unknown (initial list of storage classes)']);
  });

  it('rejects a target that storageClass.rewrite rewrites again, naming the key', () => {
    expect(() => parseConfig({ storageClass: { rewriteProvisioners: { 'driver.longhorn.io': 'longhorn' } } }))
      .toThrow(/config key "storageClass.rewriteProvisioners.driver.longhorn.io": rewrites to "longhorn", which storageClass.rewrite rewrites again/);
  });
});

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.js';
import { boundedMemo } from '../../src/kube/bounded-memo.js';
import { decide } from '../../src/core/decide.js';
import type { Pod } from '../../src/kube/kube-types.js';
import { PROJECTS_ANNOTATION } from '../../src/core/project-paths.js';
import { parseQuantity } from '../../src/kube/quantity.js';
import { tmpfsTargetsFor } from '../../src/core/tmpfs-targets.js';
import { volumeNameForPath } from '../../src/core/volume-name.js';
import { InMemoryClusterFacts } from '../support/in-memory-cluster-facts.js';
import { applyDecision, createInput, fixture } from '../support/fixtures.js';

const facts = new InMemoryClusterFacts();

/** The memory emptyDirs of container `dev` after the decision, as `path=sizeLimit`, sorted. */
function tmpfsOf(pod: Pod, config: ReturnType<typeof parseConfig>): string[] {
  const patched = applyDecision(pod, decide(createInput(pod), config, facts));
  const volumes = new Map((patched.spec?.volumes ?? []).map((volume) => [volume.name, volume]));
  return (patched.spec?.containers?.[0]?.volumeMounts ?? [])
    .flatMap((mount) => {
      const emptyDir = volumes.get(mount.name)?.emptyDir;
      return emptyDir?.medium === 'Memory' ? [`${mount.mountPath}=${emptyDir.sizeLimit}`] : [];
    })
    .sort();
}

function template(projects?: string): Pod {
  const pod = fixture('pods/coder-kubernetes-template.json');
  if (projects !== undefined) pod.metadata!.annotations = { ...pod.metadata!.annotations, [PROJECTS_ANNOTATION]: projects };
  return pod;
}

describe('values worked out once per configuration or annotation are keyed right', () => {
  const app = parseConfig({ tmpfs: { projects: ['/home/coder/app'] } });
  const web = parseConfig({ tmpfs: { projects: ['/home/coder/web'], dirs: { dist: '1Gi' } } });
  const appBig = parseConfig({ tmpfs: { projects: ['/home/coder/app'], dirs: { node_modules: '32Gi' } } });

  it('gives each configuration its own targets, however the calls interleave', () => {
    for (let round = 0; round < 3; round++) {
      expect(tmpfsOf(template(), app)).toEqual(['/home/coder/app/.next=8Gi', '/home/coder/app/node_modules=16Gi']);
      expect(tmpfsOf(template(), web)).toEqual(['/home/coder/web/dist=1Gi']);
      expect(tmpfsOf(template(), appBig)).toEqual(['/home/coder/app/node_modules=32Gi']);
    }
  });

  it('gives each projects annotation its own targets, and the configured ones without it', () => {
    for (let round = 0; round < 3; round++) {
      expect(tmpfsOf(template('/home/coder/x'), app)).toEqual(['/home/coder/x/.next=8Gi', '/home/coder/x/node_modules=16Gi']);
      expect(tmpfsOf(template('/home/coder/y'), app)).toEqual(['/home/coder/y/.next=8Gi', '/home/coder/y/node_modules=16Gi']);
      expect(tmpfsOf(template('/home/coder/x'), web)).toEqual(['/home/coder/x/dist=1Gi']);
      expect(tmpfsOf(template(''), app)).toEqual([]);
      expect(tmpfsOf(template(), app)).toEqual(['/home/coder/app/.next=8Gi', '/home/coder/app/node_modules=16Gi']);
    }
  });

  it('keeps the annotation problems with the annotation that has them', () => {
    const bad = { [PROJECTS_ANNOTATION]: 'relative, /home/coder/a' };
    expect(tmpfsTargetsFor(bad, app.tmpfs).problems).toEqual([expect.stringMatching(/ignored project path "relative"/)]);
    expect(tmpfsTargetsFor({ [PROJECTS_ANNOTATION]: '/home/coder/a' }, app.tmpfs).problems).toEqual([]);
    expect(tmpfsTargetsFor(undefined, app.tmpfs).problems).toEqual([]);
  });

  it('names volumes per prefix and path', () => {
    const path = '/home/coder/app/node_modules';
    expect(volumeNameForPath('tmpfs', path)).toMatch(/^tmpfs-node-modules-[0-9a-f]{8}$/);
    expect(volumeNameForPath('containers', path)).toBe(volumeNameForPath('tmpfs', path).replace(/^tmpfs/, 'containers'));
    expect(volumeNameForPath('tmpfs', '/home/coder/web/node_modules')).not.toBe(volumeNameForPath('tmpfs', path));
    expect(volumeNameForPath('tmpfs', path)).toBe(volumeNameForPath('tmpfs', path));
  });

  it('parses each quantity on its own, remembered or not', () => {
    for (let round = 0; round < 2; round++) {
      expect([parseQuantity('8Gi'), parseQuantity('512Mi'), parseQuantity('lots'), parseQuantity(' 1k ')]).toEqual([8 * 2 ** 30, 512 * 2 ** 20, undefined, 1000]);
    }
  });
});

describe('boundedMemo', () => {
  it('computes a key once, remembers undefined results too, and stays within its limit', () => {
    const calls: string[] = [];
    const memo = boundedMemo((key) => { calls.push(key); return key === 'none' ? undefined : key.length; }, { limit: 2, maxKeyLength: 8 });
    expect([memo('a'), memo('none'), memo('a'), memo('none')]).toEqual([1, undefined, 1, undefined]);
    expect(calls).toEqual(['a', 'none']);
    expect(memo('ccc')).toBe(3); // full: the table is emptied, then holds 'ccc'
    expect(memo('a')).toBe(1);
    expect(calls).toEqual(['a', 'none', 'ccc', 'a']);
  });

  it('computes keys longer than maxKeyLength every time', () => {
    let calls = 0;
    const memo = boundedMemo((key) => { calls++; return key.length; }, { limit: 4, maxKeyLength: 3 });
    expect([memo('long key'), memo('long key')]).toEqual([8, 8]);
    expect(calls).toBe(2);
  });
});

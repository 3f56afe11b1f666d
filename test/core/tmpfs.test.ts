import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/parse-config.js';
import { decide } from '../../src/core/decide.js';
import type { Pod } from '../../src/kube/kube-types.js';
import { InMemoryClusterFacts } from '../support/in-memory-cluster-facts.js';
import { podRuleViolations } from '../support/api-rules.js';
import { applyDecision, createInput, fixture, mountsOf, volumeAt } from '../support/fixtures.js';

const PROJECT = '/home/coder/Research/moltbook-org/moltbook-frontend';
const config = parseConfig({ tmpfs: { projects: [PROJECT] } });
const facts = new InMemoryClusterFacts();

interface Expected {
  /** container -> mount paths that must be memory emptyDirs after the patch */
  tmpfs: Record<string, string[]>;
  /** containers that must have no tmpfs at all */
  untouched?: string[];
  warnings?: RegExp[];
  outcome: 'mutated' | 'unchanged' | 'skipped';
}

function withAnnotation(pod: Pod, key: string, value: string): Pod {
  pod.metadata = { ...pod.metadata, annotations: { ...pod.metadata?.annotations, [key]: value } };
  return pod;
}

const cases: [string, () => Pod, Expected][] = [
  ['Coder kubernetes template pod (home PVC at /home/coder, the template\'s default 2Gi limit)', () => fixture('pods/coder-kubernetes-template.json'), {
    outcome: 'mutated',
    tmpfs: { dev: [`${PROJECT}/node_modules`, `${PROJECT}/.next`] },
    warnings: [/container dev: memory limit 2Gi < tmpfs 24Gi \+ request 512Mi/],
  }],
  ['devcontainer pod, project named by annotation, limit raised to hold the tmpfs', () => {
    const pod = withAnnotation(fixture('pods/coder-devcontainer.json'), 'workspace-storage.dev/projects', '/workspaces/app');
    pod.spec!.containers![0]!.resources!.limits!.memory = '32Gi';
    return pod;
  }, {
    outcome: 'mutated',
    tmpfs: { dev: ['/workspaces/app/node_modules', '/workspaces/app/.next'] },
  }],
  ['bare pod: mount with trailing slash, a sidecar without the PVC, an init container', () => fixture('pods/coder-bare-pod.json'), {
    outcome: 'mutated',
    tmpfs: { dev: [`${PROJECT}/node_modules`, `${PROJECT}/.next`] },
    untouched: ['sidecar', 'chown-home'],
    warnings: [/container dev has no memory limit; its tmpfs \(24Gi\)/],
  }],
  ['annotation lists two projects, one invalid entry', () =>
    withAnnotation(fixture('pods/coder-kubernetes-template.json'), 'workspace-storage.dev/projects', '/home/coder/a, relative/b,/home/coder/c/'), {
    outcome: 'mutated',
    tmpfs: { dev: ['/home/coder/a/node_modules', '/home/coder/a/.next', '/home/coder/c/node_modules', '/home/coder/c/.next'] },
    warnings: [/ignored project path "relative\/b"/, /container dev: memory limit 2Gi < tmpfs 48Gi \+ request 512Mi/],
  }],
  ['empty projects annotation opts the pod out of tmpfs', () =>
    withAnnotation(fixture('pods/coder-kubernetes-template.json'), 'workspace-storage.dev/projects', ''), {
    outcome: 'unchanged', tmpfs: {}, untouched: ['dev'],
  }],
  ['project outside every mounted volume is skipped', () =>
    withAnnotation(fixture('pods/coder-kubernetes-template.json'), 'workspace-storage.dev/projects', '/opt/app'), {
    outcome: 'unchanged', tmpfs: {}, untouched: ['dev'],
  }],
  ['not a workspace pod', () => fixture('pods/not-a-workspace.json'), { outcome: 'skipped', tmpfs: {}, untouched: ['nginx'] }],
];

describe('tmpfs mounts for node_modules and .next', () => {
  it.each(cases)('%s', (_name, make, expected) => {
    const pod = make();
    const decision = decide(createInput(pod), config, facts);
    expect(decision.outcome).toBe(expected.outcome);
    const patched = applyDecision(pod, decision);
    expect(podRuleViolations(patched)).toEqual([]);
    for (const [container, paths] of Object.entries(expected.tmpfs)) {
      for (const path of paths) {
        const volume = volumeAt(patched, container, path);
        expect(volume?.emptyDir?.medium, `${container} ${path}`).toBe('Memory');
        expect(volume?.emptyDir?.sizeLimit).toBe(path.endsWith('node_modules') ? '16Gi' : '8Gi');
      }
    }
    for (const container of expected.untouched ?? []) {
      const all = [...(patched.spec?.containers ?? []), ...(patched.spec?.initContainers ?? [])];
      const original = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
      expect(all.find((c) => c.name === container)).toEqual(original.find((c) => c.name === container));
    }
    expect(decision.warnings).toHaveLength(expected.warnings?.length ?? 0);
    for (const [index, pattern] of (expected.warnings ?? []).entries()) expect(decision.warnings[index]).toMatch(pattern);
  });

  it('leaves an existing mount at the target alone and adds the other directory', () => {
    const pod = fixture('pods/coder-kubernetes-template.json');
    pod.spec!.volumes!.push({ name: 'cache', emptyDir: {} });
    pod.spec!.containers![0]!.volumeMounts!.push({ name: 'cache', mountPath: `${PROJECT}/node_modules/` });
    const patched = applyDecision(pod, decide(createInput(pod), config, facts));
    expect(volumeAt(patched, 'dev', `${PROJECT}/node_modules/`)?.name).toBe('cache');
    expect(mountsOf(patched, 'dev').filter((m) => m.mountPath.includes('node_modules'))).toHaveLength(1);
    expect(volumeAt(patched, 'dev', `${PROJECT}/.next`)?.emptyDir).toEqual({ medium: 'Memory', sizeLimit: '8Gi' });
  });

  it('still mounts the target when something is mounted below it', () => {
    const pod = fixture('pods/coder-kubernetes-template.json');
    pod.spec!.volumes!.push({ name: 'npm-cache', emptyDir: {} });
    pod.spec!.containers![0]!.volumeMounts!.push({ name: 'npm-cache', mountPath: `${PROJECT}/node_modules/.cache` });
    const patched = applyDecision(pod, decide(createInput(pod), config, facts));
    expect(volumeAt(patched, 'dev', `${PROJECT}/node_modules`)?.emptyDir?.medium).toBe('Memory');
    expect(podRuleViolations(patched)).toEqual([]);
  });

  it('gives the same target the same DNS-1123 volume name on every pod', () => {
    const first = applyDecision(fixture('pods/coder-kubernetes-template.json'), decide(createInput(fixture('pods/coder-kubernetes-template.json')), config, facts));
    const second = applyDecision(fixture('pods/coder-bare-pod.json'), decide(createInput(fixture('pods/coder-bare-pod.json')), config, facts));
    const name = volumeAt(first, 'dev', `${PROJECT}/node_modules`)?.name;
    expect(name).toMatch(/^tmpfs-node-modules-[0-9a-f]{8}$/);
    expect(volumeAt(second, 'dev', `${PROJECT}/node_modules`)?.name).toBe(name);
    expect(volumeAt(first, 'dev', `${PROJECT}/.next`)?.name).toMatch(/^tmpfs-next-[0-9a-f]{8}$/);
  });

  it('picks another name when a different volume already uses the stable one', () => {
    const pod = fixture('pods/coder-kubernetes-template.json');
    const stable = volumeAt(applyDecision(pod, decide(createInput(pod), config, facts)), 'dev', `${PROJECT}/node_modules`)!.name;
    pod.spec!.volumes!.push({ name: stable, configMap: { name: 'unrelated' } });
    const decision = decide(createInput(pod), config, facts);
    const patched = applyDecision(pod, decision);
    const volume = volumeAt(patched, 'dev', `${PROJECT}/node_modules`)!;
    expect(volume.name).not.toBe(stable);
    expect(volume.emptyDir?.medium).toBe('Memory');
    expect(podRuleViolations(patched)).toEqual([]);
    expect(decide(createInput(patched), config, facts).operations).toEqual([]);
  });

  it('mutates only CREATE', () => {
    const decision = decide(createInput(fixture('pods/coder-kubernetes-template.json'), 'UPDATE'), config, facts);
    expect(decision).toMatchObject({ outcome: 'skipped', reason: 'operation UPDATE is not CREATE', operations: [] });
  });

  it('says, in the audit notes, that no project paths are configured and how to set them', () => {
    const decision = decide(createInput(fixture('pods/coder-kubernetes-template.json')), parseConfig({}), facts);
    expect(decision.operations).toEqual([]);
    expect(decision.notes.join('\n')).toMatch(/no project paths: set tmpfs\.projects in the config or annotation workspace-storage\.dev\/projects/);
  });
});

describe('tmpfs.medium', () => {
  const template = () => fixture('pods/coder-kubernetes-template.json');
  const withLimit = (memory: string) => {
    const pod = template();
    pod.spec!.containers![0]!.resources!.limits!.memory = memory;
    return pod;
  };
  const medium = (value: string) => parseConfig({ tmpfs: { projects: [PROJECT], medium: value } });

  it.each([
    ['memory (default), Coder\'s 2Gi workspace: memory, warned', 'memory', template, 'Memory', /memory limit 2Gi < tmpfs 24Gi/, undefined],
    ['disk, 2Gi workspace: node disk, nothing charged to memory, no warning', 'disk', template, undefined, undefined, undefined],
    ['auto, 2Gi workspace: node disk, the note says why', 'auto', template, undefined, undefined, /disk \(auto: container dev: memory limit 2Gi < tmpfs 24Gi \+ request 512Mi\)/],
    ['auto, 32Gi limit: memory', 'auto', () => withLimit('32Gi'), 'Memory', undefined, /memory \(auto\)/],
    ['auto, no memory limit: node disk', 'auto', () => { const pod = template(); delete pod.spec!.containers![0]!.resources!.limits!.memory; return pod; },
      undefined, undefined, /disk \(auto: container dev has no memory limit; its tmpfs \(24Gi\) is bounded only by node memory\)/],
  ] as const)('%s', (_name, value, make, expectedMedium, warning, note) => {
    const pod = make();
    const decision = decide(createInput(pod), medium(value), facts);
    const patched = applyDecision(pod, decision);
    for (const dir of ['node_modules', '.next']) {
      const volume = volumeAt(patched, 'dev', `${PROJECT}/${dir}`);
      expect(volume?.emptyDir?.medium, dir).toBe(expectedMedium);
      expect(volume?.emptyDir?.sizeLimit).toBe(dir === 'node_modules' ? '16Gi' : '8Gi');
    }
    if (warning) expect(decision.warnings.join('\n')).toMatch(warning);
    else expect(decision.warnings).toEqual([]);
    if (note) expect(decision.notes.join('\n')).toMatch(note);
    expect(podRuleViolations(patched)).toEqual([]);
  });

  it('keeps the volume name whatever the medium, so a pass under another medium adds nothing', () => {
    const onDisk = applyDecision(template(), decide(createInput(template()), medium('disk'), facts));
    const inMemory = applyDecision(template(), decide(createInput(template()), medium('memory'), facts));
    expect(volumeAt(onDisk, 'dev', `${PROJECT}/node_modules`)?.name).toBe(volumeAt(inMemory, 'dev', `${PROJECT}/node_modules`)?.name);
    expect(decide(createInput(onDisk), medium('memory'), facts).operations).toEqual([]);
    expect(decide(createInput(inMemory), medium('auto'), facts).operations).toEqual([]);
  });
});

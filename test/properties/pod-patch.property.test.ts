import fc from 'fast-check';
import fastJsonPatch from 'fast-json-patch';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config-types.js';
import { decide } from '../../src/core/decide.js';
import type { Decision } from '../../src/core/decision-types.js';
import type { Pod } from '../../src/kube/kube-types.js';
import { isAncestorPath, joinPath, normalizeMountPath } from '../../src/kube/mount-path.js';
import { parseProjectsAnnotation, PROJECTS_ANNOTATION } from '../../src/core/project-paths.js';
import { podRuleViolations } from '../support/api-rules.js';
import { createInput } from '../support/fixtures.js';
import { buildFacts, factsPlan, type FactsPlan } from './generators/cluster-facts-arbitrary.js';
import { configArbitrary } from './generators/config-arbitrary.js';
import { validPod } from './generators/pod-arbitrary.js';
import { runs } from './support/runs.js';
import { affinityLoosenings, prefixProblems, withoutMutableParts } from './support/pod-invariants.js';

const RUNS = runs(400);

/** One generated case: pod, config and facts, decided once. */
interface Decided {
  readonly pod: Pod;
  readonly config: Config;
  readonly plan: FactsPlan;
  readonly decision: Decision;
  /** The pod after the patch, applied with RFC 6902 semantics and validation (throws when it does not apply). */
  readonly patched: Pod;
}

const cases = fc.tuple(validPod, configArbitrary, factsPlan).map(([pod, config, plan]): Decided => {
  const input = structuredClone(pod);
  const decision = decide(createInput(input), config, buildFacts(plan));
  if (!isDeepStrictEqual(input, pod)) throw new Error('decide changed its input object');
  const patched = fastJsonPatch.applyPatch(structuredClone(pod), structuredClone(decision.operations) as fastJsonPatch.Operation[], true, false)
    .newDocument as Pod;
  return { pod, config, plan, decision, patched };
});

function usableNodes(plan: FactsPlan): Set<string> {
  return new Set(plan.nodes.filter((node) => node.fact.ready && !node.fact.unschedulable).map((node) => node.name));
}

describe('patches for generated valid workspace pods', () => {
  it('generated pods are valid to begin with (the generator is sound)', () => {
    fc.assert(fc.property(validPod, (pod) => {
      expect(podRuleViolations(pod)).toEqual([]);
    }), RUNS);
  });

  it('apply cleanly with RFC 6902 semantics and leave the input object untouched', () => {
    let mutated = 0;
    fc.assert(fc.property(cases, ({ decision }) => {
      if (decision.operations.length > 0) mutated++;
      for (const operation of decision.operations) expect(['add', 'replace']).toContain(operation.op);
    }), RUNS);
    // The property means something only if most cases do get a patch.
    expect(mutated).toBeGreaterThan(RUNS.numRuns / 3);
  });

  it('still pass the API server pod rules (DNS-1123 and unique volume names, unique mountPaths, no dangling mount)', () => {
    fc.assert(fc.property(cases, ({ patched }) => {
      expect(podRuleViolations(patched)).toEqual([]);
    }), RUNS);
  });

  it('change nothing but spec.volumes, containers[*].volumeMounts and nodeAffinity, and only by appending', () => {
    fc.assert(fc.property(cases, ({ pod, patched }) => {
      expect(withoutMutableParts(patched)).toEqual(withoutMutableParts(pod));
      const problems = prefixProblems('volumes', pod.spec?.volumes, patched.spec?.volumes);
      pod.spec?.containers?.forEach((container, index) => {
        problems.push(...prefixProblems(`containers[${index}].volumeMounts`, container.volumeMounts, patched.spec?.containers?.[index]?.volumeMounts));
      });
      problems.push(...prefixProblems('initContainers', pod.spec?.initContainers, patched.spec?.initContainers));
      expect(problems).toEqual([]);
    }), RUNS);
  });

  it('only ever tighten required node affinity, pinning to Ready schedulable nodes', () => {
    fc.assert(fc.property(cases, ({ pod, patched, plan, config }) => {
      expect(affinityLoosenings(pod, patched, usableNodes(plan))).toEqual([]);
      const before = pod.spec?.affinity?.nodeAffinity;
      const after = patched.spec?.affinity?.nodeAffinity;
      if (config.affinity.mode !== 'required') {
        expect(after?.requiredDuringSchedulingIgnoredDuringExecution).toEqual(before?.requiredDuringSchedulingIgnoredDuringExecution);
      }
      if (config.affinity.mode === 'off' || plan.status.state === 'off') expect(after).toEqual(before);
      const preferred = prefixProblems('preferred', before?.preferredDuringSchedulingIgnoredDuringExecution, after?.preferredDuringSchedulingIgnoredDuringExecution);
      expect(preferred).toEqual([]);
      const addedPreferred = (after?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) - (before?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0);
      expect(addedPreferred).toBeLessThanOrEqual(config.affinity.mode === 'preferred' ? usableNodes(plan).size : 0);
    }), RUNS);
  });

  it('mount every tmpfs target in every container that mounts a volume above it', () => {
    fc.assert(fc.property(cases, ({ pod, patched, config, decision }) => {
      if (decision.outcome === 'skipped') return;
      const annotation = pod.metadata?.annotations?.[PROJECTS_ANNOTATION];
      const paths = typeof annotation === 'string' ? parseProjectsAnnotation(annotation).paths : config.tmpfs.projects;
      for (const target of paths.flatMap((project) => config.tmpfs.dirs.map((dir) => joinPath(project, dir.name)))) {
        patched.spec?.containers?.forEach((container, index) => {
          const original = (pod.spec?.containers?.[index]?.volumeMounts ?? []).map((mount) => normalizeMountPath(mount.mountPath));
          if (!original.some((path) => isAncestorPath(path, target))) return;
          const now = (container.volumeMounts ?? []).map((mount) => normalizeMountPath(mount.mountPath));
          expect(now, `${container.name} lacks ${target}`).toContain(target);
        });
      }
    }), RUNS);
  });

  it('yield no operations on a second pass over the patched pod', () => {
    fc.assert(fc.property(cases, fc.context(), ({ patched, config, plan }, context) => {
      const second = decide(createInput(patched), config, buildFacts(plan));
      context.log(JSON.stringify(second.operations));
      expect(second.operations).toEqual([]);
    }), RUNS);
  });
});

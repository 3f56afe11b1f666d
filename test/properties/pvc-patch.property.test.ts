import fc from 'fast-check';
import fastJsonPatch from 'fast-json-patch';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core/decide.js';
import type { PersistentVolumeClaim } from '../../src/kube/kube-types.js';
import { LEGACY_CLASS_ANNOTATION, ORIGINAL_CLASS_ANNOTATION } from '../../src/core/storage-class-rewrite.js';
import { createInput } from '../support/fixtures.js';
import { buildFacts, factsPlan } from './generators/cluster-facts-arbitrary.js';
import { configArbitrary } from './generators/config-arbitrary.js';
import { validPvc } from './generators/pvc-arbitrary.js';
import { withoutSummaryAnnotations } from './support/pod-invariants.js';
import { runs } from './support/runs.js';

const RUNS = runs(500);

/** The class Kubernetes uses: the legacy annotation when present, else the spec field (null/absent: default). */
function effectiveClass(claim: PersistentVolumeClaim): string | null | undefined {
  const annotation = claim.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION];
  return typeof annotation === 'string' ? annotation : claim.spec?.storageClassName;
}

/** The claim minus what the rewrite may touch: spec.storageClassName and the two class annotations. */
function withoutClassFields(claim: PersistentVolumeClaim): unknown {
  const copy = structuredClone(claim);
  withoutSummaryAnnotations(copy as Parameters<typeof withoutSummaryAnnotations>[0]);
  delete copy.spec?.storageClassName;
  delete copy.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION];
  delete copy.metadata?.annotations?.[ORIGINAL_CLASS_ANNOTATION];
  if (copy.metadata?.annotations && Object.keys(copy.metadata.annotations).length === 0) delete copy.metadata.annotations;
  return copy;
}

/**
 * What a node-local class can serve, written from local-path-provisioner's rules independently of the webhook's
 * code: RWO/RWOP filesystem claims provisioned empty, not pre-bound, selecting no PV.
 */
function fitsNodeLocal(claim: PersistentVolumeClaim): boolean {
  const spec = claim.spec ?? {};
  const modes = Array.isArray(spec.accessModes) ? (spec.accessModes as string[]) : [];
  return modes.every((mode) => mode === 'ReadWriteOnce' || mode === 'ReadWriteOncePod') && spec.volumeMode !== 'Block' &&
    spec.dataSource === undefined && spec.dataSourceRef === undefined && spec.volumeName === undefined && spec.selector === undefined;
}

const cases = fc.tuple(validPvc, configArbitrary, factsPlan).map(([pvc, config, plan]) => {
  const input = structuredClone(pvc);
  const decision = decide(createInput(input), config, buildFacts(plan));
  if (!isDeepStrictEqual(input, pvc)) throw new Error('decide changed its input object');
  const patched = fastJsonPatch.applyPatch(structuredClone(pvc), structuredClone(decision.operations) as fastJsonPatch.Operation[], true, false)
    .newDocument as PersistentVolumeClaim;
  return { pvc, config, plan, decision, patched };
});

describe('patches for generated workspace PVCs (class in spec, legacy annotation, both, none, "", null)', () => {
  it('apply cleanly and change only the class fields and the original-class annotation', () => {
    let rewritten = 0;
    fc.assert(fc.property(cases, ({ pvc, patched, decision }) => {
      if (decision.operations.length > 0) rewritten++;
      expect(withoutClassFields(patched)).toEqual(withoutClassFields(pvc));
    }), RUNS);
    expect(rewritten).toBeGreaterThan(RUNS.numRuns / 10);
  });

  it('rewrite exactly the classes the map names, where local-path can serve the claim, recording the original', () => {
    let kept = 0;
    fc.assert(fc.property(cases, ({ pvc, patched, config, decision }) => {
      const before = effectiveClass(pvc);
      const mapped = typeof before === 'string' && before !== '' && Object.hasOwn(config.storageClass.rewrite, before);
      if (!mapped) {
        expect(patched).toEqual(pvc);
        return;
      }
      if (!fitsNodeLocal(pvc)) {
        kept++;
        expect(patched).toEqual(pvc);
        expect(decision.warnings.some((warning) => warning.startsWith(`PVC stays on ${before}: `))).toBe(true);
        return;
      }
      const to = config.storageClass.rewrite[before];
      expect(effectiveClass(patched)).toBe(to);
      expect(patched.spec?.storageClassName).toBe(to);
      if (typeof pvc.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION] === 'string') {
        expect(patched.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION]).toBe(to);
      }
      expect(patched.metadata?.annotations?.[ORIGINAL_CLASS_ANNOTATION]).toBe(before);
    }), RUNS);
    expect(kept).toBeGreaterThan(0);
  });

  it('never touch "" (no class) or null (default class)', () => {
    fc.assert(fc.property(cases, ({ pvc, patched }) => {
      const before = effectiveClass(pvc);
      if (before === '' || before === null || before === undefined) expect(patched).toEqual(pvc);
    }), RUNS);
  });

  it('yield no operations on a second pass', () => {
    fc.assert(fc.property(cases, ({ patched, config, plan }) => {
      expect(decide(createInput(patched), config, buildFacts(plan)).operations).toEqual([]);
    }), RUNS);
  });
});

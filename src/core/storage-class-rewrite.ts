import type { Config } from '../config/config-types.js';
import type { ClusterFacts } from './cluster-facts.js';
import type { PlanResult } from './decision-types.js';
import { EMPTY_PLAN } from './decision-types.js';
import type { PatchOperation } from './json-patch.js';
import { escapePointerToken } from './json-pointer.js';
import type { PersistentVolumeClaim } from '../kube/kube-types.js';
import { nodeLocalMisfit } from './node-local-fit.js';
import { isRecord } from '../kube/json-value.js';

/** The beta annotation that, when present, wins over `spec.storageClassName` (pkg/apis/core/helper GetPersistentVolumeClaimClass). */
export const LEGACY_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

/** Where the webhook records the class a PVC asked for before the rewrite. */
export const ORIGINAL_CLASS_ANNOTATION = 'workspace-storage.dev/original-storage-class';

/** JSON Pointer to the legacy annotation, escaped once here rather than on every review. */
const LEGACY_CLASS_POINTER = `/metadata/annotations/${escapePointerToken(LEGACY_CLASS_ANNOTATION)}`;

/** The class Kubernetes would use for this claim: the legacy annotation first, then the spec field. */
export function effectiveStorageClass(claim: PersistentVolumeClaim): string | undefined {
  const annotation = claim.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION];
  if (typeof annotation === 'string') return annotation;
  const spec = claim.spec?.storageClassName;
  return typeof spec === 'string' ? spec : undefined;
}

/**
 * The class `from` is rewritten to: `storageClass.rewrite[from]`, else `storageClass.rewriteProvisioners[its
 * provisioner]` (from the StorageClass cache); or the plan to return when it is not rewritten.
 */
function rewriteTarget(from: string, config: Config, facts: ClusterFacts): string | PlanResult {
  const { rewrite, rewriteProvisioners } = config.storageClass;
  if (Object.hasOwn(rewrite, from)) return rewrite[from] as string;
  if (Object.keys(rewriteProvisioners).length === 0) return { ...EMPTY_PLAN, notes: [`storage class ${from} is not rewritten`] };
  const storageClass = facts.storageClass(from);
  if (storageClass === undefined) {
    // Not in the cache: unknown class, or no cache (no cluster access, not synced). The claim's class is immutable,
    // so say so where a person can see it.
    const status = facts.status();
    const why = `storage class ${from} not rewritten: its provisioner is unknown (${status.reason ?? 'no such StorageClass'})`;
    return { ...EMPTY_PLAN, warnings: status.state === 'synced' ? [] : [why], notes: [why] };
  }
  const to = Object.hasOwn(rewriteProvisioners, storageClass.provisioner) ? rewriteProvisioners[storageClass.provisioner] : undefined;
  if (to === undefined || to === from) return { ...EMPTY_PLAN, notes: [`storage class ${from} (${storageClass.provisioner}) is not rewritten`] };
  return to;
}

/**
 * Rewrites the claim's effective class when it is a key of `storageClass.rewrite`, or its provisioner a key of
 * `storageClass.rewriteProvisioners`. The annotation and the spec
 * both carry the new class when the annotation is present (so they agree whichever one a reader consults), and
 * the original is recorded in an annotation. `""` means "no class" and nil means "the default class": neither
 * is rewritten (the DefaultStorageClass admission plugin runs before webhooks, so nil is rare here). A claim the
 * node-local class cannot serve ({@link nodeLocalMisfit}) keeps its class, with a warning saying why.
 */
export function planStorageClassRewrite(claim: PersistentVolumeClaim, config: Config, facts: ClusterFacts): PlanResult {
  const from = effectiveStorageClass(claim);
  if (from === undefined || from === '') return { ...EMPTY_PLAN, notes: ['no storage class to rewrite'] };
  const target = rewriteTarget(from, config, facts);
  if (typeof target !== 'string') return target;
  const to = target;
  const misfit = nodeLocalMisfit(claim);
  if (misfit !== undefined) {
    const why = `stays on ${from}: ${to} cannot serve ${misfit}`;
    return { ...EMPTY_PLAN, warnings: [`PVC ${why}`], notes: [`storage class ${why}`] };
  }
  const operations: PatchOperation[] = [];
  const annotations = claim.metadata?.annotations;
  // Both class fields agree afterwards, whichever one a reader consults.
  if (isRecord(annotations) && typeof annotations[LEGACY_CLASS_ANNOTATION] === 'string') {
    operations.push({ op: 'replace', path: LEGACY_CLASS_POINTER, value: to });
  }
  if (!isRecord(claim.spec)) {
    operations.push({ op: 'add', path: '/spec', value: { storageClassName: to } });
  } else {
    const op = typeof claim.spec.storageClassName === 'string' ? 'replace' : 'add';
    operations.push({ op, path: '/spec/storageClassName', value: to });
  }
  return {
    operations,
    mutations: [{ type: 'storage-class', detail: `${from}->${to}` }],
    warnings: [],
    notes: [],
    annotations: [[ORIGINAL_CLASS_ANNOTATION, from]],
  };
}

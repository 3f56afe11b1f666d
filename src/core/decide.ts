import type { Config } from '../config/config-types.js';
import type { AdmissionInput } from './admission-input.js';
import type { ClusterFacts } from './cluster-facts.js';
import { findCoLocation } from './co-location.js';
import { planContainerStorage } from './container-storage-plan.js';
import type { Decision, Mutation, PlanResult } from './decision-types.js';
import { distinctMutationTypes, EMPTY_PLAN } from './decision-types.js';
import type { PersistentVolumeClaim } from '../kube/kube-types.js';
import { nodeAffinityOperations } from './node-affinity-patch.js';
import { annotationOperations, APPLIED_ANNOTATION, appliedSummary, boundedSummary, WARNINGS_ANNOTATION } from './object-annotations.js';
import { PodPatchBuilder } from './pod-patch-builder.js';
import { asCheckedPod, podShapeProblem } from './pod-shape.js';
import { isRecord } from '../kube/json-value.js';
import { skipReason, type WorkspaceScope } from './skip-reason.js';
import { planStorageClassRewrite } from './storage-class-rewrite.js';
import { planTmpfs } from './tmpfs-plan.js';

function skipped(reason: string): Decision {
  return { outcome: 'skipped', reason, operations: [], mutations: [], warnings: [], notes: [] };
}

/** The lists `pick` takes from each plan, concatenated in plan order into one array of the exact length. */
function gather<T>(plans: readonly PlanResult[], pick: (plan: PlanResult) => readonly T[]): T[] {
  let length = 0;
  for (const plan of plans) length += pick(plan).length;
  const all = new Array<T>(length);
  let at = 0;
  for (const plan of plans) for (const item of pick(plan)) all[at++] = item;
  return all;
}

const NO_ANNOTATIONS: readonly (readonly [string, string])[] = [];

/**
 * What this pass changed, written on the object when it changed anything (see object-annotations.ts), after the
 * plans' own annotations. A later pass with changes of its own (reinvocation after another webhook) appends.
 */
function summaryAnnotations(object: unknown, mutations: readonly Mutation[], warnings: readonly string[]): [string, string][] {
  const existing = isRecord(object) && isRecord(object.metadata) && isRecord(object.metadata.annotations)
    ? object.metadata.annotations : {};
  const previous = (key: string) => (typeof existing[key] === 'string' && existing[key] !== '' ? `${existing[key]}; ` : '');
  const entries: [string, string][] = [[APPLIED_ANNOTATION, boundedSummary(previous(APPLIED_ANNOTATION) + appliedSummary(mutations))]];
  if (warnings.length > 0) entries.push([WARNINGS_ANNOTATION, boundedSummary(previous(WARNINGS_ANNOTATION) + warnings.join('; '))]);
  return entries;
}

/** The plans' results in plan order; the reason names each mutation type once. */
function fromPlans(object: unknown, plans: readonly PlanResult[], what: string): Decision {
  const operations = gather(plans, (plan) => plan.operations);
  const mutations = gather(plans, (plan) => plan.mutations);
  const warnings = gather(plans, (plan) => plan.warnings);
  const notes = gather(plans, (plan) => plan.notes);
  // Every change comes with its mutation summary (the volumes plan's operations go with the tmpfs mutations).
  if (operations.length > 0) {
    const annotations = gather(plans, (plan) => plan.annotations ?? NO_ANNOTATIONS);
    annotations.push(...summaryAnnotations(object, mutations, warnings));
    operations.push(...annotationOperations(object, annotations));
  }
  const mutated = operations.length > 0;
  const reason = mutated ? `${what}: ${distinctMutationTypes(mutations).join(', ')}` : `${what}: nothing to change`;
  return { outcome: mutated ? 'mutated' : 'unchanged', reason, operations, mutations, warnings, notes };
}

/**
 * Node affinity from where the pod's Longhorn data lives, written into `builder` like the volume plans', or a note
 * saying why co-location is off.
 */
function planAffinity(builder: PodPatchBuilder, namespace: string, config: Config, facts: ClusterFacts): PlanResult {
  const { pod } = builder;
  const { mode, preferredWeight } = config.affinity;
  const status = facts.status();
  if (mode === 'off' || status.state === 'off') {
    const why = mode === 'off' ? 'affinity.mode is off' : status.reason ?? 'no cluster access';
    return { ...EMPTY_PLAN, notes: [`co-location off: ${why}`] };
  }
  const where = findCoLocation(pod, namespace, facts);
  const operations = nodeAffinityOperations(pod, where.nodes, mode, preferredWeight);
  builder.setNodeAffinity(operations);
  const mutations: readonly Mutation[] = operations.length > 0
    ? [{ type: 'affinity', detail: `${mode} ${where.nodes.join(',')} for ${where.volumes.join(',')}` }]
    : EMPTY_PLAN.mutations;
  return { ...EMPTY_PLAN, mutations, warnings: where.warnings, notes: where.notes };
}

function decidePod(input: AdmissionInput, config: Config, facts: ClusterFacts): Decision {
  const problem = podShapeProblem(input.object);
  if (problem) return skipped(`malformed pod: ${problem}`);
  const pod = asCheckedPod(input.object);
  const containers = pod.spec.containers;
  const builder = new PodPatchBuilder(pod);
  const tmpfs = planTmpfs(builder, containers, pod.metadata?.annotations, config);
  const containerStorage = planContainerStorage(builder, pod, containers, config);
  const affinity = planAffinity(builder, input.namespace, config, facts);
  // Every plan wrote its changes into the builder; its operations are the pod's whole patch.
  const patch: PlanResult = { ...EMPTY_PLAN, operations: builder.operations() };
  return fromPlans(input.object, [tmpfs, containerStorage, affinity, patch], 'workspace pod');
}

/**
 * The whole admission decision, a pure function of the request, the configuration and the cluster facts:
 * skip with a reason, or the patch operations that put the workspace's build directories on tmpfs, engine
 * storage on node disk, rewrite the PVC's class, and pin the pod to the node that holds its data. Running it
 * on the patched object yields no operations (reinvocation after other webhooks must not double anything).
 * `scope` says which objects are workspace objects (see {@link WorkspaceScope}).
 */
export function decide(input: AdmissionInput, config: Config, facts: ClusterFacts, scope: WorkspaceScope = 'selectors'): Decision {
  const reason = skipReason(input, config, scope);
  if (reason !== undefined) return skipped(reason);
  if (input.kind.kind === 'Pod') return decidePod(input, config, facts);
  const claim = input.object as PersistentVolumeClaim;
  return fromPlans(claim, [planStorageClassRewrite(claim, config, facts)], 'workspace PVC');
}

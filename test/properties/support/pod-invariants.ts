import { isDeepStrictEqual } from 'node:util';
import type { Container, NodeSelectorTerm, Pod } from '../../../src/kube/kube-types.js';
import { NODE_NAME_FIELD } from '../../../src/core/node-affinity-patch.js';
import { APPLIED_ANNOTATION, WARNINGS_ANNOTATION } from '../../../src/core/object-annotations.js';
import { PROJECT_DIRS_CONTAINER } from '../../../src/core/project-dirs-init.js';

/**
 * The pod minus the parts the webhook may change: spec.volumes, every regular container's volumeMounts,
 * spec.affinity.nodeAffinity, its own two summary annotations and its own init container (an affinity, annotations
 * or init container list left empty by that is dropped, so "absent" and "added" compare equal).
 */
export function withoutMutableParts(pod: Pod): unknown {
  const copy = structuredClone(pod) as Pod & { spec: Record<string, unknown> };
  withoutSummaryAnnotations(copy);
  // The webhook's own init container (project-dirs-init.ts); the property test checks it is only ever appended.
  if (Array.isArray(copy.spec.initContainers)) {
    const others = (copy.spec.initContainers as Container[]).filter((init) => init.name !== PROJECT_DIRS_CONTAINER);
    if (others.length > 0) copy.spec.initContainers = others;
    else delete copy.spec.initContainers;
  }
  delete copy.spec.volumes;
  for (const container of (copy.spec.containers ?? []) as Container[]) delete container.volumeMounts;
  const affinity = copy.spec.affinity as Record<string, unknown> | undefined;
  if (affinity) {
    delete affinity.nodeAffinity;
    if (Object.keys(affinity).length === 0) delete copy.spec.affinity;
  }
  return copy;
}

/** Removes the webhook's applied and warnings annotations from `object` (and an annotations object left empty). */
export function withoutSummaryAnnotations(object: { metadata?: { annotations?: Record<string, string> } }): void {
  const annotations = object.metadata?.annotations;
  if (!annotations) return;
  delete annotations[APPLIED_ANNOTATION];
  delete annotations[WARNINGS_ANNOTATION];
  if (Object.keys(annotations).length === 0) delete object.metadata!.annotations;
}

/** Problems if `after` does not start with every element of `before`, unchanged and in order. */
export function prefixProblems(what: string, before: readonly unknown[] | undefined, after: readonly unknown[] | undefined): string[] {
  const original = before ?? [];
  const patched = after ?? [];
  if (patched.length < original.length) return [`${what}: ${original.length} before, ${patched.length} after`];
  return original.flatMap((entry, index) => (isDeepStrictEqual(entry, patched[index]) ? [] : [`${what}[${index}] changed`]));
}

function requiredTerms(pod: Pod): NodeSelectorTerm[] {
  return pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
}

function isNodeNameIn(requirement: unknown, nodes: ReadonlySet<string>): boolean {
  const value = requirement as { key?: unknown; operator?: unknown; values?: unknown } | undefined;
  return value?.key === NODE_NAME_FIELD && value.operator === 'In' && Array.isArray(value.values) && value.values.length === 1 &&
    typeof value.values[0] === 'string' && nodes.has(value.values[0]);
}

function normalizedTerm(term: NodeSelectorTerm): { matchExpressions: unknown[]; matchFields: unknown[] } {
  return { matchExpressions: term.matchExpressions ?? [], matchFields: term.matchFields ?? [] };
}

/**
 * Problems if required node affinity was loosened. Unchanged terms are fine. Otherwise every patched term must be
 * an original term (or, for a pod without required terms, the empty term) with one `metadata.name In [node]` field
 * requirement appended, the node in `allowedNodes`: each patched term then implies an original one, so their OR
 * (terms are ORed) can only be tighter.
 */
export function affinityLoosenings(before: Pod, after: Pod, allowedNodes: ReadonlySet<string>): string[] {
  const original = requiredTerms(before);
  const patched = requiredTerms(after);
  if (isDeepStrictEqual(original, patched)) return [];
  const bases = (original.length === 0 ? [{}] : original).map(normalizedTerm);
  return patched.flatMap((term, index) => {
    const fields = term.matchFields ?? [];
    if (!isNodeNameIn(fields[fields.length - 1], allowedNodes)) {
      return [`term ${index} does not end with metadata.name In [an allowed node]: ${JSON.stringify(term)}`];
    }
    const base = normalizedTerm({ ...term, matchFields: fields.slice(0, -1) });
    return bases.some((candidate) => isDeepStrictEqual(candidate, base)) ? [] : [`term ${index} is no original term plus a node`];
  });
}

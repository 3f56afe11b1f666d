import { isDeepStrictEqual } from 'node:util';
import type { Container, NodeSelectorTerm, Pod } from '../../../src/core/kube-types.js';
import { HOSTNAME_LABEL } from '../../../src/core/node-affinity-patch.js';

/**
 * The pod minus the parts the webhook may change: spec.volumes, every regular container's volumeMounts and
 * spec.affinity.nodeAffinity (an affinity left empty by that is dropped, so "absent" and "added" compare equal).
 */
export function withoutMutableParts(pod: Pod): unknown {
  const copy = structuredClone(pod) as Pod & { spec: Record<string, unknown> };
  delete copy.spec.volumes;
  for (const container of (copy.spec.containers ?? []) as Container[]) delete container.volumeMounts;
  const affinity = copy.spec.affinity as Record<string, unknown> | undefined;
  if (affinity) {
    delete affinity.nodeAffinity;
    if (Object.keys(affinity).length === 0) delete copy.spec.affinity;
  }
  return copy;
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

function isHostnameIn(requirement: unknown, nodes: ReadonlySet<string>): boolean {
  const value = requirement as { key?: unknown; operator?: unknown; values?: unknown };
  return value.key === HOSTNAME_LABEL && value.operator === 'In' && Array.isArray(value.values) && value.values.length > 0 &&
    value.values.every((node) => typeof node === 'string' && nodes.has(node));
}

/**
 * Problems if required node affinity was loosened: every pre-existing term must still be there, at its index, with
 * its matchFields unchanged and its matchExpressions as a prefix, gaining at most one `kubernetes.io/hostname In`
 * requirement whose nodes are all in `allowedNodes`; no term may be added when terms existed (terms are ORed).
 * A pod without required terms may gain exactly one term holding only that requirement.
 */
export function affinityLoosenings(before: Pod, after: Pod, allowedNodes: ReadonlySet<string>): string[] {
  const original = requiredTerms(before);
  const patched = requiredTerms(after);
  if (original.length === 0) {
    if (patched.length === 0) return [];
    const only = patched[0];
    return patched.length === 1 && only?.matchFields === undefined && only?.matchExpressions?.length === 1 && isHostnameIn(only.matchExpressions[0], allowedNodes)
      ? []
      : [`required terms added to a pod that had none: ${JSON.stringify(patched)}`];
  }
  if (patched.length !== original.length) return [`required terms: ${original.length} before, ${patched.length} after`];
  return original.flatMap((term, index) => {
    const now = patched[index] as NodeSelectorTerm;
    const problems: string[] = [];
    if (!isDeepStrictEqual(term.matchFields, now.matchFields)) problems.push(`term ${index}: matchFields changed`);
    problems.push(...prefixProblems(`term ${index} matchExpressions`, term.matchExpressions, now.matchExpressions));
    const added = (now.matchExpressions ?? []).slice(term.matchExpressions?.length ?? 0);
    if (added.length > 1 || (added.length === 1 && !isHostnameIn(added[0], allowedNodes))) {
      problems.push(`term ${index}: gained ${JSON.stringify(added)}`);
    }
    return problems;
  });
}

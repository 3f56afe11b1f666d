import type { AffinityMode } from '../config/config-types.js';
import type { PatchOperation } from './json-patch.js';
import type { NodeSelectorRequirement, NodeSelectorTerm, Pod } from './kube-types.js';
import { isRecord } from './pod-shape.js';

/** The well-known node label the scheduler matches host names on. */
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';

const NODE_AFFINITY = '/spec/affinity/nodeAffinity';
const REQUIRED = `${NODE_AFFINITY}/requiredDuringSchedulingIgnoredDuringExecution`;
const PREFERRED = `${NODE_AFFINITY}/preferredDuringSchedulingIgnoredDuringExecution`;

function hostnameRequirement(nodes: readonly string[]): NodeSelectorRequirement {
  return { key: HOSTNAME_LABEL, operator: 'In', values: [...nodes] };
}

/** Whether `term` already holds exactly this requirement (so a second pass adds nothing). */
function hasRequirement(term: NodeSelectorTerm | undefined, wanted: NodeSelectorRequirement): boolean {
  if (!isRecord(term) || !Array.isArray(term.matchExpressions)) return false;
  return term.matchExpressions.some(
    (requirement) =>
      isRecord(requirement) &&
      requirement.key === wanted.key &&
      requirement.operator === wanted.operator &&
      Array.isArray(requirement.values) &&
      requirement.values.length === (wanted.values?.length ?? 0) &&
      [...requirement.values].sort().every((value, index) => value === wanted.values?.[index]),
  );
}

/** Operations that make sure `/spec/affinity/nodeAffinity` exists, returning whether it already did. */
function ensureNodeAffinity(pod: Pod, value: Record<string, unknown>): PatchOperation | undefined {
  const affinity = pod.spec?.affinity;
  if (!isRecord(affinity)) return { op: 'add', path: '/spec/affinity', value: { nodeAffinity: value } };
  if (!isRecord(affinity.nodeAffinity)) return { op: 'add', path: NODE_AFFINITY, value };
  return undefined;
}

/**
 * Operations that pin the pod to `nodes` (sorted). `required`: `kubernetes.io/hostname In nodes` is ANDed with
 * any required node affinity the pod already has by adding it to EVERY existing nodeSelectorTerm: terms are
 * ORed, so appending a separate term would loosen the constraint instead of tightening it. `preferred`: one
 * weighted preferred term. Tolerations, pod (anti-)affinity and nodeSelector are never touched.
 */
export function nodeAffinityOperations(pod: Pod, nodes: readonly string[], mode: AffinityMode, weight: number): PatchOperation[] {
  if (mode === 'off' || nodes.length === 0) return [];
  const requirement = hostnameRequirement(nodes);
  if (mode === 'preferred') {
    const term = { weight, preference: { matchExpressions: [requirement] } };
    const ensured = ensureNodeAffinity(pod, { preferredDuringSchedulingIgnoredDuringExecution: [term] });
    if (ensured) return [ensured];
    const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
    if (!Array.isArray(preferred)) return [{ op: 'add', path: PREFERRED, value: [term] }];
    if (preferred.some((existing) => isRecord(existing) && hasRequirement(existing.preference, requirement))) return [];
    return [{ op: 'add', path: `${PREFERRED}/-`, value: term }];
  }

  const newTerm: NodeSelectorTerm = { matchExpressions: [requirement] };
  const ensured = ensureNodeAffinity(pod, { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [newTerm] } });
  if (ensured) return [ensured];
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!isRecord(required)) return [{ op: 'add', path: REQUIRED, value: { nodeSelectorTerms: [newTerm] } }];
  const terms = required.nodeSelectorTerms;
  if (!Array.isArray(terms) || terms.length === 0) {
    return [{ op: 'add', path: `${REQUIRED}/nodeSelectorTerms`, value: [newTerm] }];
  }
  const operations: PatchOperation[] = [];
  terms.forEach((term, index) => {
    if (hasRequirement(term, requirement)) return;
    const base = `${REQUIRED}/nodeSelectorTerms/${index}`;
    if (!isRecord(term)) operations.push({ op: 'replace', path: base, value: newTerm });
    else if (!Array.isArray(term.matchExpressions)) operations.push({ op: 'add', path: `${base}/matchExpressions`, value: [requirement] });
    else operations.push({ op: 'add', path: `${base}/matchExpressions/-`, value: requirement });
  });
  return operations;
}

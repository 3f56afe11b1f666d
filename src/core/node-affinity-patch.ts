import type { AffinityMode } from '../config/config-types.js';
import type { PatchOperation } from './json-patch.js';
import type { NodeSelectorRequirement, NodeSelectorTerm, Pod } from '../kube/kube-types.js';
import { isRecord } from '../kube/json-value.js';

/**
 * The node field the pin selects on. Longhorn's `replica.spec.nodeID` is the Node's name, which need not equal its
 * `kubernetes.io/hostname` label (k3s `--node-name`, cloud nodes), so the pin selects by name, as the DaemonSet
 * controller pins its pods (pkg/controller/daemon/util ReplaceDaemonSetPodNodeNameNodeAffinity).
 */
export const NODE_NAME_FIELD = 'metadata.name';

const NODE_AFFINITY = '/spec/affinity/nodeAffinity';
const REQUIRED = `${NODE_AFFINITY}/requiredDuringSchedulingIgnoredDuringExecution`;
const PREFERRED = `${NODE_AFFINITY}/preferredDuringSchedulingIgnoredDuringExecution`;

/**
 * `metadata.name In [node]`. The API server allows exactly one value for a node field selector with In
 * (pkg/apis/core/validation validateNodeFieldSelectorRequirement), so several nodes take one term each.
 */
export function nodeNameRequirement(node: string): NodeSelectorRequirement {
  return { key: NODE_NAME_FIELD, operator: 'In', values: [node] };
}

/** The nodes `term` pins to by `metadata.name In [node]` field requirements (ANDed, so usually one). */
function pinnedNodes(term: unknown): string[] {
  if (!isRecord(term) || !Array.isArray(term.matchFields)) return [];
  const nodes: string[] = [];
  for (const requirement of term.matchFields) {
    if (isRecord(requirement) && requirement.key === NODE_NAME_FIELD && requirement.operator === 'In' &&
      Array.isArray(requirement.values) && requirement.values.length === 1 && typeof requirement.values[0] === 'string') {
      nodes.push(requirement.values[0]);
    }
  }
  return nodes;
}

/** `term` with `metadata.name In [node]` added to its field requirements (ANDed with what it has). */
function withNode(term: unknown, node: string): NodeSelectorTerm {
  const base: NodeSelectorTerm = isRecord(term) ? term : {};
  const fields = Array.isArray(base.matchFields) ? base.matchFields : [];
  return { ...base, matchFields: [...fields, nodeNameRequirement(node)] };
}

/** Operations that make sure `/spec/affinity/nodeAffinity` exists, or undefined when it already does. */
function ensureNodeAffinity(pod: Pod, value: Record<string, unknown>): PatchOperation | undefined {
  const affinity = pod.spec?.affinity;
  if (!isRecord(affinity)) return { op: 'add', path: '/spec/affinity', value: { nodeAffinity: value } };
  if (!isRecord(affinity.nodeAffinity)) return { op: 'add', path: NODE_AFFINITY, value };
  return undefined;
}

function preferredOperations(pod: Pod, nodes: readonly string[], weight: number): PatchOperation[] {
  const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  const present = new Set<string>();
  if (Array.isArray(preferred)) {
    for (const term of preferred) if (isRecord(term)) for (const node of pinnedNodes(term.preference)) present.add(node);
  }
  const terms = nodes.filter((node) => !present.has(node))
    .map((node) => ({ weight, preference: { matchFields: [nodeNameRequirement(node)] } }));
  if (terms.length === 0) return [];
  const ensured = ensureNodeAffinity(pod, { preferredDuringSchedulingIgnoredDuringExecution: terms });
  if (ensured) return [ensured];
  if (!Array.isArray(preferred)) return [{ op: 'add', path: PREFERRED, value: terms }];
  return terms.map((term) => ({ op: 'add', path: `${PREFERRED}/-`, value: term }));
}

function requiredOperations(pod: Pod, nodes: readonly string[]): PatchOperation[] {
  const fresh = nodes.map((node) => withNode(undefined, node));
  const ensured = ensureNodeAffinity(pod, { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: fresh } });
  if (ensured) return [ensured];
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!isRecord(required)) return [{ op: 'add', path: REQUIRED, value: { nodeSelectorTerms: fresh } }];
  const terms = required.nodeSelectorTerms;
  if (!Array.isArray(terms) || terms.length === 0) {
    return [{ op: 'add', path: `${REQUIRED}/nodeSelectorTerms`, value: fresh }];
  }
  // Already pinned when every term names one of the nodes (a second pass, or a pod pinned tighter by its author).
  const allowed = new Set(nodes);
  if (terms.every((term) => pinnedNodes(term).some((node) => allowed.has(node)))) return [];
  // (T1 or ... or Tk) and (n1 or ... or nm) = the terms Ti and nj for every i, j: terms are ORed, so adding a
  // separate term would loosen the constraint instead of tightening it.
  const crossed: NodeSelectorTerm[] = [];
  for (const term of terms) for (const node of nodes) crossed.push(withNode(term, node));
  return [{ op: 'replace', path: `${REQUIRED}/nodeSelectorTerms`, value: crossed }];
}

/**
 * Operations that pin the pod to the Nodes named `nodes` (sorted). `required`: every existing required
 * nodeSelectorTerm is ANDed with "the node is one of `nodes`", one term per (existing term, node); `preferred`: one
 * weighted preferred term per node. Tolerations, pod (anti-)affinity and nodeSelector are never touched.
 */
export function nodeAffinityOperations(pod: Pod, nodes: readonly string[], mode: AffinityMode, weight: number): PatchOperation[] {
  if (mode === 'off' || nodes.length === 0) return [];
  return mode === 'preferred' ? preferredOperations(pod, nodes, weight) : requiredOperations(pod, nodes);
}

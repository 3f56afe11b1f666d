import fastJsonPatch from 'fast-json-patch';
import type { Config } from '../config/config-types.js';
import type { ClusterFacts } from '../core/cluster-facts.js';
import { decide } from '../core/decide.js';
import type { Decision } from '../core/decision-types.js';
import { isRecord } from '../kube/json-value.js';

/** One object after the preview: what it would look like once admitted, and what the webhook would say. */
export interface PreviewResult {
  readonly label: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly warnings: readonly string[];
  readonly mutations: readonly string[];
}

/** A kind the preview does not know. */
export class UnsupportedKindError extends Error {}

/** Where each workload kind keeps its pod template. */
const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

function apply<T>(object: T, decision: Decision): T {
  if (decision.operations.length === 0) return object;
  return fastJsonPatch.applyPatch(object, decision.operations as fastJsonPatch.Operation[], true, true).newDocument;
}

function nameOf(object: Record<string, unknown>): string {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const name = [metadata.name, metadata.generateName].find((value): value is string => typeof value === 'string');
  return name ?? '(unnamed)';
}

/** Runs the same decision the server makes on a Pod or PVC being created in `namespace`. */
function decideCreate(kind: 'Pod' | 'PersistentVolumeClaim', object: unknown, namespace: string, config: Config, facts: ClusterFacts): Decision {
  return decide({ kind: { group: '', version: 'v1', kind }, operation: 'CREATE', namespace, object }, config, facts);
}

/**
 * Previews one Kubernetes object: a Pod or PVC as the server would mutate it; a workload's pod template as its
 * pods would be mutated; a StatefulSet's volumeClaimTemplates as its PVCs would be. Throws UnsupportedKindError
 * for anything else.
 */
export function previewObject(input: unknown, config: Config, facts: ClusterFacts): PreviewResult {
  if (!isRecord(input)) throw new UnsupportedKindError('not a Kubernetes object (a YAML mapping with kind)');
  const kind = typeof input.kind === 'string' ? input.kind : '';
  const label = `${kind || '(no kind)'}/${nameOf(input)}`;
  const metadata = isRecord(input.metadata) ? input.metadata : {};
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : 'default';
  const object = structuredClone(input);

  if (kind === 'Pod' || kind === 'PersistentVolumeClaim') {
    const decision = decideCreate(kind, object, namespace, config, facts);
    return { label, before: input, after: apply(object, decision), warnings: decision.warnings, mutations: details(decision) };
  }
  const path = TEMPLATE_PATHS[kind];
  if (!path) {
    throw new UnsupportedKindError(`unsupported kind "${kind || '(none)'}": expected Pod, PersistentVolumeClaim, ${Object.keys(TEMPLATE_PATHS).join(', ')}`);
  }
  let holder: Record<string, unknown> = object;
  for (const key of path.slice(0, -1)) {
    const next = holder[key];
    if (!isRecord(next)) throw new UnsupportedKindError(`${label}: no ${path.join('.')}`);
    holder = next;
  }
  const templateKey = path[path.length - 1] as string;
  const template = holder[templateKey];
  if (!isRecord(template)) throw new UnsupportedKindError(`${label}: no ${path.join('.')}`);
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: template.metadata ?? {}, spec: template.spec };
  const podDecision = decideCreate('Pod', pod, namespace, config, facts);
  const patchedPod = apply(pod, podDecision);
  holder[templateKey] = { ...template, metadata: patchedPod.metadata, spec: patchedPod.spec };

  const warnings = [...podDecision.warnings];
  const mutations = details(podDecision);
  const spec = isRecord(object.spec) ? object.spec : {};
  if (kind === 'StatefulSet' && Array.isArray(spec.volumeClaimTemplates)) {
    spec.volumeClaimTemplates = spec.volumeClaimTemplates.map((claim: unknown) => {
      const pvc = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', ...(isRecord(claim) ? claim : {}) };
      const decision = decideCreate('PersistentVolumeClaim', pvc, namespace, config, facts);
      warnings.push(...decision.warnings);
      mutations.push(...details(decision));
      const patched: Record<string, unknown> = { ...apply(pvc, decision) };
      delete patched.apiVersion;
      delete patched.kind;
      return patched;
    });
  }
  return { label, before: input, after: object, warnings, mutations };
}

function details(decision: Decision): string[] {
  return decision.mutations.map((mutation) => `${mutation.type}: ${mutation.detail}`);
}

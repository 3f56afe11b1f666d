import type { Mutation } from './decision-types.js';
import type { PatchOperation } from './json-patch.js';
import { escapePointerToken } from './json-pointer.js';
import { isRecord } from '../kube/json-value.js';

/**
 * Where the webhook writes, on the object itself, what it changed. Coder's pods are created by the ReplicaSet
 * controller, so admission warnings reach the controller, not a person; `kubectl describe` shows annotations.
 */
export const APPLIED_ANNOTATION = 'workspace-storage.dev/applied';

/** Where the webhook writes its warnings for the object, when it has any. */
export const WARNINGS_ANNOTATION = 'workspace-storage.dev/warnings';

/** Longest value written to either annotation: a summary for people, not a log. */
export const MAX_SUMMARY_LENGTH = 1024;

/** `text` cut to {@link MAX_SUMMARY_LENGTH} characters, saying that it was. */
export function boundedSummary(text: string): string {
  return text.length <= MAX_SUMMARY_LENGTH ? text : `${text.slice(0, MAX_SUMMARY_LENGTH - 12)} (truncated)`;
}

/** The applied summary of `mutations`: `type: detail` in order, `; `-separated, bounded. */
export function appliedSummary(mutations: readonly Mutation[]): string {
  return boundedSummary(mutations.map((mutation) => `${mutation.type}: ${mutation.detail}`).join('; '));
}

/**
 * Operations that set `entries` in `object`'s metadata.annotations: the whole metadata or annotations object where
 * it is missing (`add` needs the parent), else one add or replace per key whose value differs.
 */
export function annotationOperations(object: unknown, entries: readonly (readonly [string, string])[]): PatchOperation[] {
  if (entries.length === 0) return [];
  const metadata = isRecord(object) ? object.metadata : undefined;
  if (!isRecord(metadata)) return [{ op: 'add', path: '/metadata', value: { annotations: Object.fromEntries(entries) } }];
  const annotations = metadata.annotations;
  if (!isRecord(annotations)) return [{ op: 'add', path: '/metadata/annotations', value: Object.fromEntries(entries) }];
  const operations: PatchOperation[] = [];
  for (const [key, value] of entries) {
    if (annotations[key] === value) continue;
    const op = Object.hasOwn(annotations, key) ? 'replace' : 'add';
    operations.push({ op, path: `/metadata/annotations/${escapePointerToken(key)}`, value });
  }
  return operations;
}

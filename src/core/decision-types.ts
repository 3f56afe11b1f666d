import type { PatchOperation } from './json-patch.js';

/** The kinds of change the webhook makes; used in audit lines, auditAnnotations and metrics. */
export type MutationType = 'tmpfs' | 'container-storage' | 'storage-class' | 'affinity';

/** One change, summarised for people: `detail` names paths, containers, classes or nodes, never values. */
export interface Mutation {
  readonly type: MutationType;
  readonly detail: string;
}

/** What one plan contributes to the decision. */
export interface PlanResult {
  readonly operations: readonly PatchOperation[];
  readonly mutations: readonly Mutation[];
  /** Shown to the kubectl user (clamped to 120 characters later). */
  readonly warnings: readonly string[];
  /** Why something was not done, for the audit line. */
  readonly notes: readonly string[];
  /** Annotations to set on the object (key, value), written by the decision in one place with its own. */
  readonly annotations?: readonly (readonly [string, string])[];
}

/** How a review ended: `mutated` (operations), `unchanged` (a workspace object already right), `skipped`. */
export type Outcome = 'mutated' | 'unchanged' | 'skipped';

/** The whole decision for one admission request. */
export interface Decision {
  readonly outcome: Outcome;
  /** One short sentence: why skipped, or what was done. */
  readonly reason: string;
  readonly operations: readonly PatchOperation[];
  readonly mutations: readonly Mutation[];
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
}

/** The distinct mutation types of `mutations`, in order of first appearance. */
export function distinctMutationTypes(mutations: readonly Mutation[]): MutationType[] {
  const types: MutationType[] = [];
  for (const mutation of mutations) if (!types.includes(mutation.type)) types.push(mutation.type);
  return types;
}

/** A plan result with nothing in it. */
export const EMPTY_PLAN: PlanResult = Object.freeze({ operations: [], mutations: [], warnings: [], notes: [] });

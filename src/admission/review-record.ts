/**
 * The record of a review, in one home: its shape (the audit line's fields and what metrics count), its builder, and
 * the auditAnnotations the API server writes to its own audit log.
 */
import { distinctMutationTypes, type Decision, type MutationType } from '../core/decision-types.js';
import type { DecodedReview, ReviewMode } from './review-types.js';

/** How a review ended, as logged and counted: the decision's outcome, `would-mutate` in audit mode, or `error`. */
export type ReviewOutcome = 'mutated' | 'would-mutate' | 'unchanged' | 'skipped' | 'error';

/**
 * One audit line's worth of facts about a review: identifiers, the decision and the operations' op and path.
 * Never the object's contents (pod env values carry secrets) and never operation values.
 */
export interface ReviewRecord {
  readonly uid: string;
  readonly kind: string;
  readonly operation: string;
  readonly namespace: string;
  readonly name: string | undefined;
  readonly generateName: string | undefined;
  readonly user: string | undefined;
  readonly dryRun: boolean;
  readonly mode: ReviewMode;
  readonly outcome: ReviewOutcome;
  readonly reason: string;
  readonly operations: readonly { readonly op: string; readonly path: string }[];
  readonly mutationTypes: readonly MutationType[];
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
  /** Time from decoded body to encoded answer, measured by the HTTP layer, which also encodes. */
  readonly durationMs: number;
}

/**
 * The record of a review, built as one object literal that is also the audit line (logged as it is), once its
 * duration is known. Not `{ ...base, outcome, ... }`: spreading an object into a literal that adds
 * properties takes V8's slow path (about 7 µs here, more than the whole decision) and leaves a dictionary-mode
 * object that is slower again to log (bench/README.md).
 */
export function reviewRecord(
  review: DecodedReview, mode: ReviewMode, outcome: ReviewOutcome, reason: string, decision: Decision | undefined, durationMs: number,
): ReviewRecord {
  const { input } = review;
  return {
    uid: review.uid,
    kind: input.kind.group ? `${input.kind.group}/${input.kind.kind}` : input.kind.kind,
    operation: input.operation,
    namespace: input.namespace,
    name: review.name,
    generateName: review.name ? undefined : review.generateName,
    user: review.user,
    dryRun: review.dryRun,
    mode,
    outcome,
    reason,
    operations: decision ? decision.operations.map(({ op, path }) => ({ op, path })) : [],
    mutationTypes: decision ? distinctMutationTypes(decision.mutations) : [],
    warnings: decision ? decision.warnings : [],
    notes: decision ? decision.notes : [],
    durationMs,
  };
}

/** Longest value written to one audit annotation; the audit log is no place for kilobytes per request. */
const MAX_VALUE = 512;

function clamp(value: string): string {
  return value.length <= MAX_VALUE ? value : `${value.slice(0, MAX_VALUE - 3)}...`;
}

/**
 * The auditAnnotations for a decision. The API server prefixes each key with the webhook's name
 * (`<webhook>/<key>`) and writes them to its audit log, the cluster-side record of what the webhook did.
 */
export function auditAnnotations(decision: Decision, mode: ReviewMode, outcome: string): Record<string, string> {
  const annotations: Record<string, string> = { mode, outcome };
  const byType = new Map<MutationType, string[]>();
  for (const mutation of decision.mutations) {
    const list = byType.get(mutation.type);
    if (list) list.push(mutation.detail);
    else byType.set(mutation.type, [mutation.detail]);
  }
  for (const [type, details] of byType) annotations[type] = clamp(details.join('; '));
  if (decision.outcome !== 'mutated') annotations.reason = clamp(decision.reason);
  if (decision.warnings.length > 0) annotations.warnings = clamp(decision.warnings.join('; '));
  return annotations;
}

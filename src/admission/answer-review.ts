import type { Config } from '../config/config-types.js';
import type { ClusterFacts } from '../core/cluster-facts.js';
import { decide } from '../core/decide.js';
import type { WorkspaceScope } from '../core/skip-reason.js';
import { distinctMutationTypes, type Decision, type MutationType } from '../core/decision-types.js';
import { auditAnnotations } from './audit-annotations.js';
import { base64Patch } from './patch-base64.js';
import type { AdmissionResponse, AdmissionReviewAnswer, DecodedReview, ReviewMode } from './review-types.js';
import { warningText, warningTexts } from './warning-text.js';

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
  /** Time from decoded body to encoded answer; set by the HTTP layer, which also encodes. */
  durationMs: number;
}

/** The answer to send, the record to log, and the error behind an `error` outcome. */
export interface ReviewResult {
  readonly answer: AdmissionReviewAnswer;
  readonly record: ReviewRecord;
  readonly error?: Error;
}

const ERROR_WARNING = warningText('internal error; the object was admitted unchanged (see the webhook log)');

function describeChange(type: MutationType, detail: string): string {
  switch (type) {
    case 'tmpfs': return `would mount tmpfs ${detail}`;
    case 'container-storage': return `would mount node disk ${detail}`;
    case 'storage-class': return `would rewrite storage class ${detail}`;
    case 'affinity': return `would pin to ${detail}`;
  }
}

/**
 * The record of a review, built as one object literal that is also the audit line (the HTTP layer fills in
 * durationMs and logs it as it is). Not `{ ...base, outcome, ... }`: spreading an object into a literal that adds
 * properties takes V8's slow path (about 7 µs here, more than the whole decision) and leaves a dictionary-mode
 * object that is slower again to log (bench/README.md).
 */
function recordOf(
  review: DecodedReview, mode: ReviewMode, outcome: ReviewOutcome, reason: string, decision: Decision | undefined,
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
    durationMs: 0,
  };
}

function fromDecision(review: DecodedReview, mode: ReviewMode, decision: Decision): ReviewResult {
  const enforce = mode === 'enforce';
  const changes = decision.operations.length > 0;
  const outcome: ReviewOutcome = changes && !enforce ? 'would-mutate' : decision.outcome;
  const response: AdmissionResponse = { uid: review.uid, allowed: true };
  const messages = enforce || !changes
    ? decision.warnings
    : [...decision.mutations.map((m) => describeChange(m.type, m.detail)), ...decision.warnings];
  if (enforce && changes) {
    response.patchType = 'JSONPatch';
    response.patch = base64Patch(decision.operations);
  }
  if (messages.length > 0) response.warnings = warningTexts(messages);
  if (decision.outcome !== 'skipped') response.auditAnnotations = auditAnnotations(decision, mode, outcome);
  return {
    answer: { apiVersion: review.apiVersion, kind: 'AdmissionReview', response },
    record: recordOf(review, mode, outcome, decision.reason, decision),
  };
}

/**
 * Decides one review and builds the AdmissionReview answer. An exception inside the decision never becomes a
 * failed admission: the object is allowed unchanged with a warning, and the record carries the error to log
 * (failing the request would block every workspace on a webhook bug; admitting unchanged loses only the fix).
 */
export function answerReview(
  review: DecodedReview, mode: ReviewMode, config: Config, facts: ClusterFacts, scope: WorkspaceScope = 'selectors',
): ReviewResult {
  try {
    return fromDecision(review, mode, decide(review.input, config, facts, scope));
  } catch (caught) {
    const error = caught instanceof Error ? caught : new Error(String(caught));
    return {
      answer: {
        apiVersion: review.apiVersion,
        kind: 'AdmissionReview',
        response: { uid: review.uid, allowed: true, warnings: [ERROR_WARNING] },
      },
      record: recordOf(review, mode, 'error', 'internal error in the mutation', undefined),
      error,
    };
  }
}

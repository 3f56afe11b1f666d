import type { Config } from '../config/config-types.js';
import type { ClusterFacts } from '../core/cluster-facts.js';
import { decide } from '../core/decide.js';
import type { WorkspaceScope } from '../core/skip-reason.js';
import type { Decision, MutationType } from '../core/decision-types.js';
import { base64Patch } from './patch-base64.js';
import type { AdmissionResponse, AdmissionReviewAnswer, DecodedReview, ReviewMode } from './review-types.js';
import { auditAnnotations, reviewRecord, type ReviewOutcome, type ReviewRecord } from './review-record.js';
import { warningText, warningTexts } from './warning-text.js';

/** The answer to send, the record to log once the answer is encoded, and the error behind an `error` outcome. */
export interface ReviewResult {
  readonly answer: AdmissionReviewAnswer;
  /** The review's record, with the time it took from decoded body to encoded answer. */
  readonly recordWith: (durationMs: number) => ReviewRecord;
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
    recordWith: (durationMs) => reviewRecord(review, mode, outcome, decision.reason, decision, durationMs),
  };
}

/**
 * Decides one review and builds the AdmissionReview answer. An exception inside the decision never becomes a
 * failed admission: the object is allowed unchanged with a warning, and the result carries the error to log
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
      recordWith: (durationMs) => reviewRecord(review, mode, 'error', 'internal error in the mutation', undefined, durationMs),
      error,
    };
  }
}

import type { Decision, MutationType } from '../core/decision-types.js';
import type { ReviewMode } from './review-types.js';

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

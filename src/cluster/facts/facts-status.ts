import type { FactsStatus } from '../../core/cluster-facts.js';

/** Longest reason: it ends up inside a pod warning (<= 120 characters) after a prefix naming the volume. */
export const MAX_REASON_LENGTH = 80;

/** What the status needs to know about one cache. */
export interface CacheState {
  /** How reasons name the cache, e.g. `longhorn replicas`. */
  readonly label: string;
  readonly synced: boolean;
  /** The cache's current problem as a reason, or undefined. */
  readonly problem: string | undefined;
}

/**
 * The overall state of the caches: `degraded` when any cache has a problem (a missing CRD will not fix itself by
 * waiting, so it beats `syncing`), else `syncing` while any initial list is running, else `synced`.
 * The first problem in `caches` order is the reason; the caller orders the caches by importance.
 */
export function composeStatus(caches: readonly CacheState[]): FactsStatus {
  const problems: string[] = [];
  const waiting: string[] = [];
  for (const cache of caches) {
    if (cache.problem !== undefined) problems.push(cache.problem);
    else if (!cache.synced) waiting.push(cache.label);
  }
  const first = problems[0];
  if (first !== undefined) {
    const more = problems.length > 1 ? ` (+${problems.length - 1} more)` : '';
    return { state: 'degraded', reason: shortenReason(first, MAX_REASON_LENGTH - more.length) + more };
  }
  if (waiting.length > 0) return { state: 'syncing', reason: shortenReason(`waiting for the first list of ${waiting.join(', ')}`) };
  return { state: 'synced' };
}

/** Cuts `text` to `max` characters, marking the cut with "...". */
export function shortenReason(text: string, max = MAX_REASON_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 3))}...`;
}

import type { LabelSelector } from './kube-types.js';

/**
 * Whether `labels` match `selector` with metav1.LabelSelector semantics: every matchLabels pair and every
 * matchExpressions requirement must hold. An empty selector matches everything, as in Kubernetes.
 */
export function matchesSelector(selector: LabelSelector, labels: Readonly<Record<string, unknown>>): boolean {
  const matchLabels = selector.matchLabels;
  if (matchLabels) {
    for (const key in matchLabels) {
      if (!Object.hasOwn(labels, key) || labels[key] !== matchLabels[key]) return false;
    }
  }
  const matchExpressions = selector.matchExpressions;
  if (!matchExpressions) return true;
  // Indexed loops here and below: selectors come from the deep-frozen config, and V8 runs for-of over a frozen
  // array through the generic iterator, allocating a result object per element on every review.
  for (let index = 0; index < matchExpressions.length; index++) {
    const requirement = matchExpressions[index]!;
    const present = Object.hasOwn(labels, requirement.key);
    const value = labels[requirement.key];
    switch (requirement.operator) {
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      case 'In':
        if (!present || !(requirement.values ?? []).includes(value as string)) return false;
        break;
      case 'NotIn':
        if (present && (requirement.values ?? []).includes(value as string)) return false;
        break;
    }
  }
  return true;
}

/** Whether `labels` match ANY of `selectors` (how the config's workspaceSelectors combine). */
export function matchesAnySelector(
  selectors: readonly LabelSelector[],
  labels: Readonly<Record<string, unknown>>,
): boolean {
  for (let index = 0; index < selectors.length; index++) if (matchesSelector(selectors[index]!, labels)) return true;
  return false;
}

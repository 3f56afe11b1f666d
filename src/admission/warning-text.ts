/** Every warning names its source, so a kubectl user knows which webhook said it. */
const PREFIX = 'workspace-storage: ';

/**
 * Kubernetes shows at most ~120 characters of a warning comfortably (longer ones may be truncated by the API
 * server: k8s.io/apiserver/pkg/warning), so each warning is clamped there with an ellipsis.
 */
export const MAX_WARNING_LENGTH = 120;

/** Prefixes and clamps one warning. */
export function warningText(message: string): string {
  const text = PREFIX + message;
  return text.length <= MAX_WARNING_LENGTH ? text : `${text.slice(0, MAX_WARNING_LENGTH - 3)}...`;
}

/**
 * At most this many warnings per answer: a pod with 50,000 containers would otherwise carry 50,000 memory warnings
 * (megabytes in the answer, and kubectl prints every one). The rest are counted in a last warning.
 */
export const MAX_WARNINGS = 20;

/** Prefixes, clamps and caps the warnings of one answer. */
export function warningTexts(messages: readonly string[]): string[] {
  if (messages.length <= MAX_WARNINGS) return messages.map(warningText);
  const shown = messages.slice(0, MAX_WARNINGS - 1).map(warningText);
  shown.push(warningText(`and ${messages.length - shown.length} more warnings (see the webhook log)`));
  return shown;
}

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

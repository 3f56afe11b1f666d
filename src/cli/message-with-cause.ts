/**
 * An error's message followed by its cause's: an error that wraps the socket error (ECONNREFUSED, ENOTFOUND,
 * certificate errors; undici's "fetch failed", an aborted request's reason) keeps it in `cause`.
 */
export function messageWithCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

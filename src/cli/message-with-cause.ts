/**
 * An error's message followed by its cause's: undici (under client-node) puts the socket error (ECONNREFUSED,
 * ENOTFOUND, certificate errors) in `cause`, and the message alone says only "fetch failed".
 */
export function messageWithCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}

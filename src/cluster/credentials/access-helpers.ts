/** TCP keep-alive probe delay for API connections: 30 s, as client-go, below common load-balancer idle timeouts. */
export const KEEP_ALIVE_MS = 30_000;

/** A short description of a file-system or parse error (no file contents). */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    const path = (error as NodeJS.ErrnoException).path;
    return code !== undefined && path !== undefined ? `${code} ${path}` : error.message;
  }
  return String(error);
}

/**
 * A certificate file that cannot be used: missing, unreadable, not PEM, or not matching its partner. Carries the
 * path and the reason separately so a log line can hold them as fields; the message names both, because at
 * start-up it is what the operator reads before the process exits.
 */
export class CertificateFileError extends Error {
  override readonly name = 'CertificateFileError';

  constructor(
    /** The file at fault. */
    readonly path: string,
    /** What is wrong with it, without any file content. */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${path}: ${reason}`, options);
  }
}

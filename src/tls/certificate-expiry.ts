import type { Logger } from 'pino';

/** Warn when a certificate has less than this many days left: cert-manager renews at 2/3 of the lifetime (a 90-day
 * certificate with 30 days left), so a certificate below this line has missed its renewal. */
export const EXPIRY_WARNING_DAYS = 30;

const DAY_MS = 24 * 60 * 60 * 1000;

/** How close a certificate is to its notAfter. */
export interface ExpiryStatus {
  /** Whole days left (rounded down; negative once expired). */
  readonly daysLeft: number;
  /** Less than `warningDays` left, or expired. */
  readonly warn: boolean;
  readonly expired: boolean;
}

/** Whether a certificate valid until `notAfter` should be warned about at `now`. */
export function expiryStatus(notAfter: Date, now: Date, warningDays: number = EXPIRY_WARNING_DAYS): ExpiryStatus {
  const msLeft = notAfter.getTime() - now.getTime();
  return {
    daysLeft: Math.floor(msLeft / DAY_MS),
    warn: msLeft < warningDays * DAY_MS,
    expired: msLeft <= 0,
  };
}

/** notAfter as Unix seconds: the value of the `..._certificate_expiry_timestamp_seconds` gauge. */
export function expiryTimestampSeconds(notAfter: Date): number {
  return Math.floor(notAfter.getTime() / 1000);
}

/**
 * Logs a warning (an error once expired) when the certificate at `path` expires within
 * {@link EXPIRY_WARNING_DAYS}; logs nothing otherwise. Returns the status so callers can act on it.
 */
export function logCertificateExpiry(
  logger: Logger,
  certificate: { readonly path: string; readonly notAfter: Date },
  now: Date = new Date(),
): ExpiryStatus {
  const status = expiryStatus(certificate.notAfter, now);
  if (status.warn) {
    const fields = { path: certificate.path, notAfter: certificate.notAfter.toISOString(), daysLeft: status.daysLeft };
    if (status.expired) logger.error(fields, 'certificate has expired');
    else logger.warn(fields, `certificate expires in ${status.daysLeft} days`);
  }
  return status;
}

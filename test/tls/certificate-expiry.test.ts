import { describe, expect, it } from 'vitest';
import {
  EXPIRY_WARNING_DAYS,
  expiryStatus,
  expiryTimestampSeconds,
  logCertificateExpiry,
} from '../../src/tls/certificate-expiry.js';
import { captureLogs } from './support/log-capture.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const now = new Date('2026-03-01T12:00:00Z');
const inDays = (days: number) => new Date(now.getTime() + days * DAY_MS);

describe('expiryStatus', () => {
  it.each([
    [31, { daysLeft: 31, warn: false, expired: false }],
    [30.01, { daysLeft: 30, warn: false, expired: false }],
    [30, { daysLeft: 30, warn: false, expired: false }],
    [29.99, { daysLeft: 29, warn: true, expired: false }],
    [29, { daysLeft: 29, warn: true, expired: false }],
    [0.5, { daysLeft: 0, warn: true, expired: false }],
    [0, { daysLeft: 0, warn: true, expired: true }],
    [-2, { daysLeft: -2, warn: true, expired: true }],
  ])('%s days before notAfter -> %o', (days, expected) => {
    expect(expiryStatus(inDays(days), now)).toEqual(expected);
  });

  it('warns below 30 days by default', () => {
    expect(EXPIRY_WARNING_DAYS).toBe(30);
    expect(expiryStatus(inDays(45), now, 60).warn).toBe(true);
  });
});

describe('expiryTimestampSeconds', () => {
  it('is notAfter in whole Unix seconds', () => {
    expect(expiryTimestampSeconds(new Date('2027-01-01T00:00:00.900Z'))).toBe(1798761600);
  });
});

describe('logCertificateExpiry', () => {
  it('warns at 29 days with the path and the days left', () => {
    const logs = captureLogs();
    logCertificateExpiry(logs.logger, { path: '/certs/tls.crt', notAfter: inDays(29) }, now);
    expect(logs.lines).toEqual([
      expect.objectContaining({
        level: 40,
        path: '/certs/tls.crt',
        daysLeft: 29,
        notAfter: inDays(29).toISOString(),
        msg: 'certificate expires in 29 days',
      }),
    ]);
  });

  it('is silent at 31 days', () => {
    const logs = captureLogs();
    logCertificateExpiry(logs.logger, { path: '/certs/tls.crt', notAfter: inDays(31) }, now);
    expect(logs.lines).toEqual([]);
  });

  it('logs an error once expired', () => {
    const logs = captureLogs();
    logCertificateExpiry(logs.logger, { path: '/certs/ca.crt', notAfter: inDays(-1) }, now);
    expect(logs.lines).toEqual([
      expect.objectContaining({ level: 50, path: '/certs/ca.crt', msg: 'certificate has expired' }),
    ]);
  });
});

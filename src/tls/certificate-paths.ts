import { join } from 'node:path';

/**
 * Where the certificate files live in CERT_DIR. The names are the data keys of a Kubernetes TLS Secret
 * (`kubernetes.io/tls`: `tls.crt`, `tls.key`; cert-manager adds `ca.crt`), so a Secret can be mounted as CERT_DIR
 * unchanged. `ca.key` exists only when this process generated the CA itself.
 * https://kubernetes.io/docs/concepts/configuration/secret/#tls-secrets
 */
export interface CertificatePaths {
  /** The certificate directory (CERT_DIR). */
  readonly dir: string;
  /** CA certificate: what the MutatingWebhookConfiguration's `caBundle` must hold. Optional when loading. */
  readonly caCert: string;
  /** CA private key, kept so that a serving certificate can be re-issued under the same CA. */
  readonly caKey: string;
  /** Serving certificate (may be a chain: leaf first). */
  readonly cert: string;
  /** Serving private key. */
  readonly key: string;
}

/** The certificate file paths inside `dir`. */
export function certificatePaths(dir: string): CertificatePaths {
  return Object.freeze({
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    cert: join(dir, 'tls.crt'),
    key: join(dir, 'tls.key'),
  });
}

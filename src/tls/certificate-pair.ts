import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CertificateFileError } from './certificate-file-error.js';
import type { CertificatePaths } from './certificate-paths.js';
import { errorText } from '../logging/error-text.js';

/** A serving certificate and key that parsed and belong together, as handed to `setSecureContext`. */
export interface CertificatePair {
  /** PEM; may hold a chain, leaf first. */
  readonly cert: string;
  /** PEM private key. Never log it. */
  readonly key: string;
  /** PEM of `ca.crt` when that file exists (cert-manager writes it; a plain kubernetes.io/tls Secret has none). */
  readonly ca?: string;
  /** notAfter of the serving (leaf) certificate. */
  readonly notAfter: Date;
  /** notAfter of `ca.crt`, when present. */
  readonly caNotAfter?: Date;
  /** SHA-256 over the certificate and key files: tells a changed pair from a re-read of the same one. */
  readonly digest: string;
}

/**
 * Reads a file as UTF-8, or returns undefined when it does not exist (a dangling Secret-volume symlink counts as
 * missing). Any other failure (EACCES, EISDIR) is a {@link CertificateFileError} naming the path.
 */
export async function readOptionalFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (isErrnoException(error) && error.code === 'ENOENT') return undefined;
    const code = isErrnoException(error) ? (error.code ?? error.message) : String(error);
    throw new CertificateFileError(path, `cannot read (${code})`, { cause: error });
  }
}

/** The raw contents of `tls.crt`, `tls.key` and the optional `ca.crt`, unvalidated. */
export interface PairFiles {
  readonly cert: string;
  readonly key: string;
  readonly ca: string | undefined;
}

/** Reads the three files; a missing certificate or key is a {@link CertificateFileError} naming it. */
export async function readPairFiles(paths: CertificatePaths): Promise<PairFiles> {
  const [cert, key, ca] = await Promise.all([
    readOptionalFile(paths.cert),
    readOptionalFile(paths.key),
    readOptionalFile(paths.caCert),
  ]);
  if (cert === undefined) throw new CertificateFileError(paths.cert, 'missing');
  if (key === undefined) throw new CertificateFileError(paths.key, 'missing');
  return { cert, key, ca };
}

/**
 * Reads `tls.crt`, `tls.key` and the optional `ca.crt` and checks that they parse and that the key belongs to
 * the certificate. Throws a {@link CertificateFileError} naming the first file at fault.
 */
export async function readCertificatePair(paths: CertificatePaths): Promise<CertificatePair> {
  return validateCertificatePair(await readPairFiles(paths), paths);
}

/** Checks PEM contents read from `paths` (see {@link readCertificatePair}); pure apart from parsing. */
export function validateCertificatePair(
  contents: { readonly cert: string; readonly key: string; readonly ca?: string | undefined },
  paths: Pick<CertificatePaths, 'cert' | 'key' | 'caCert'>,
): CertificatePair {
  const leaf = parseCertificate(contents.cert, paths.cert);
  const key = parsePrivateKey(contents.key, paths.key);
  // The check that matters most: a certificate renewed with a new key, read between the writes of the two
  // files, would make every handshake fail. https://nodejs.org/api/crypto.html#x509checkprivatekeyprivatekey
  if (!leaf.checkPrivateKey(key)) {
    throw new CertificateFileError(paths.key, `private key does not match the certificate in ${paths.cert}`);
  }
  const caCert = contents.ca === undefined ? undefined : parseCertificate(contents.ca, paths.caCert);
  return {
    cert: contents.cert,
    key: contents.key,
    ...(contents.ca === undefined ? {} : { ca: contents.ca }),
    notAfter: new Date(leaf.validTo),
    ...(caCert === undefined ? {} : { caNotAfter: new Date(caCert.validTo) }),
    digest: pairDigest(contents.cert, contents.key),
  };
}

/** The change-detection digest of a certificate/key pair (content, not mtime: a Secret update keeps mtimes odd). */
export function pairDigest(cert: string, key: string): string {
  return createHash('sha256').update(cert).update('\0').update(key).digest('hex');
}

/** Parses the first PEM certificate in `pem` (a chain's leaf). */
export function parseCertificate(pem: string, path: string): X509Certificate {
  if (pem.trim() === '') throw new CertificateFileError(path, 'empty file, expected a PEM certificate');
  try {
    return new X509Certificate(pem);
  } catch (error) {
    // OpenSSL's message ("PEM routines::no start line", "bad end line") says what, never echoes the content.
    throw new CertificateFileError(path, `not a valid PEM certificate (${errorText(error)})`, { cause: error });
  }
}

/** Parses a PEM private key (PKCS#1, PKCS#8 or SEC1). */
export function parsePrivateKey(pem: string, path: string): KeyObject {
  if (pem.trim() === '') throw new CertificateFileError(path, 'empty file, expected a PEM private key');
  try {
    return createPrivateKey(pem);
  } catch (error) {
    throw new CertificateFileError(path, `not a valid PEM private key (${errorText(error)})`, { cause: error });
  }
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && 'code' in error;
}
